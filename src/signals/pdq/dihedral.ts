/**
 * The eight dihedral variants of a PDQ hash (rotations and mirrors of the image), computed from the 16x16 DCT output
 * without touching the pixels: each transform permutes and/or negates coefficients, then the result is thresholded
 * again at its own median.
 */

/** The conventional order when listing all eight (the reference's order). */
export const DIHEDRAL_VARIANTS = ['original', 'rot90', 'rot180', 'rot270', 'flipX', 'flipY', 'flipPlus1', 'flipMinus1'] as const;
export type DihedralVariant = (typeof DIHEDRAL_VARIANTS)[number];

/**
 * Writes variant `variant` (index in DIHEDRAL_VARIANTS) of the 16x16 row-major matrix `b` into `out`.
 * rot90 B'[j][i] = (j odd ? 1 : -1) B[i][j]; rot180 B'[i][j] = (-1)^(i+j) B[i][j]; rot270 B'[j][i] = (i odd ? 1 : -1) B[i][j];
 * flipX B'[i][j] = (i odd ? 1 : -1) B[i][j]; flipY B'[i][j] = (j odd ? 1 : -1) B[i][j]; flipPlus1 B'[j][i] = B[i][j];
 * flipMinus1 B'[j][i] = (-1)^(i+j) B[i][j].
 */
export function dihedralTransform16(b: Float32Array, out: Float32Array, variant: number): void {
  for (let i = 0; i < 16; i++) {
    const iOdd = (i & 1) === 1;
    for (let j = 0; j < 16; j++) {
      const jOdd = (j & 1) === 1;
      const v = b[i * 16 + j];
      switch (variant) {
        case 0:
          out[i * 16 + j] = v;
          break;
        case 1:
          out[j * 16 + i] = jOdd ? v : -v;
          break;
        case 2:
          out[i * 16 + j] = ((i + j) & 1) === 0 ? v : -v;
          break;
        case 3:
          out[j * 16 + i] = iOdd ? v : -v;
          break;
        case 4:
          out[i * 16 + j] = iOdd ? v : -v;
          break;
        case 5:
          out[i * 16 + j] = jOdd ? v : -v;
          break;
        case 6:
          out[j * 16 + i] = v;
          break;
        case 7:
          out[j * 16 + i] = ((i + j) & 1) === 0 ? v : -v;
          break;
        default:
          throw new RangeError(`dihedral variant must be 0..7, got ${variant}`);
      }
    }
  }
}
