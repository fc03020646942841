/**
 * The box filter that PDQ applies twice along rows and columns (a "Jarosz" tent approximation), bit-exact with the
 * reference: float32 running sums, the entering sample added before the leaving one is subtracted, each output
 * divided by the number of samples actually in the window.
 *
 * For a window w the output at i is the mean of inputs i - (w - half) .. i + half - 1 (clipped to the vector), with
 * half = floor((w + 2) / 2). The four phases below walk that window: fill, grow while writing, slide, shrink.
 *
 * Speed (the reference's order of operations is kept for every sample; only independent work is interleaved):
 * - A running sum is a chain of dependent float32 operations, so the row pass advances four rows at once, giving
 *   the processor four independent chains.
 * - The column pass sweeps row segments with one running sum per column (cache friendly, no 4 KiB strides).
 * - The division by the window count is a multiplication by its reciprocal in double precision followed by one
 *   rounding to float32. That is exactly the float32 quotient: the double product is within 2^-52 (relative) of
 *   sum / count, while a quotient of a float32 by an integer below 2^20 is never closer than 2^-46 (relative) to a
 *   float32 rounding boundary unless it is a float32 itself, so both round to the same float32.
 */

const fround = Math.fround;

/** Window size along a dimension of `length` samples when decimating to 64: floor((length + 127) / 128). */
export function jaroszWindowSize(length: number): number {
  return Math.floor((length + 127) / 128);
}

/** Filters every row of a row-major `width` x `height` float image from `input` into `output`. */
export function boxFilterRows(input: Float32Array, output: Float32Array, width: number, height: number, window: number): void {
  let row = 0;
  for (; row + 4 <= height; row += 4) boxFilterFourRows(input, output, row * width, width, window);
  for (; row < height; row++) boxFilterOneRow(input, output, row * width, width, window);
}

function boxFilterOneRow(input: Float32Array, output: Float32Array, base: number, width: number, window: number): void {
  const half = (window + 2) >> 1;
  let sum = 0;
  let count = 0;
  let right = base;
  let left = base;
  let out = base;
  for (let i = 0; i < half - 1; i++) {
    sum = fround(sum + input[right++]);
    count++;
  }
  for (let i = window - half + 1; i > 0; i--) {
    sum = fround(sum + input[right++]);
    count++;
    output[out++] = sum / count;
  }
  const inverse = 1 / count;
  for (let i = width - window; i > 0; i--) {
    sum = fround(fround(sum + input[right++]) - input[left++]);
    output[out++] = sum * inverse;
  }
  for (let i = half - 1; i > 0; i--) {
    sum = fround(sum - input[left++]);
    count--;
    output[out++] = sum / count;
  }
}

/** Four consecutive rows starting at offset `b0`, interleaved: four independent dependency chains. */
function boxFilterFourRows(input: Float32Array, output: Float32Array, b0: number, width: number, window: number): void {
  const b1 = b0 + width;
  const b2 = b1 + width;
  const b3 = b2 + width;
  const half = (window + 2) >> 1;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let count = 0;
  let r = 0; // entering column
  let l = 0; // leaving column
  let o = 0; // output column
  for (let i = 0; i < half - 1; i++, r++) {
    s0 = fround(s0 + input[b0 + r]);
    s1 = fround(s1 + input[b1 + r]);
    s2 = fround(s2 + input[b2 + r]);
    s3 = fround(s3 + input[b3 + r]);
    count++;
  }
  for (let i = window - half + 1; i > 0; i--, r++, o++) {
    s0 = fround(s0 + input[b0 + r]);
    s1 = fround(s1 + input[b1 + r]);
    s2 = fround(s2 + input[b2 + r]);
    s3 = fround(s3 + input[b3 + r]);
    count++;
    output[b0 + o] = s0 / count;
    output[b1 + o] = s1 / count;
    output[b2 + o] = s2 / count;
    output[b3 + o] = s3 / count;
  }
  const inverse = 1 / count;
  for (let i = width - window; i > 0; i--, r++, l++, o++) {
    s0 = fround(fround(s0 + input[b0 + r]) - input[b0 + l]);
    s1 = fround(fround(s1 + input[b1 + r]) - input[b1 + l]);
    s2 = fround(fround(s2 + input[b2 + r]) - input[b2 + l]);
    s3 = fround(fround(s3 + input[b3 + r]) - input[b3 + l]);
    output[b0 + o] = s0 * inverse;
    output[b1 + o] = s1 * inverse;
    output[b2 + o] = s2 * inverse;
    output[b3 + o] = s3 * inverse;
  }
  for (let i = half - 1; i > 0; i--, l++, o++) {
    s0 = fround(s0 - input[b0 + l]);
    s1 = fround(s1 - input[b1 + l]);
    s2 = fround(s2 - input[b2 + l]);
    s3 = fround(s3 - input[b3 + l]);
    count--;
    output[b0 + o] = s0 / count;
    output[b1 + o] = s1 / count;
    output[b2 + o] = s2 / count;
    output[b3 + o] = s3 / count;
  }
}

/**
 * Filters every column of a row-major `width` x `height` float image from `input` into `output`.
 *
 * Columns are processed `blockWidth` at a time, each block swept down the rows with one running sum per column (in
 * `sums`, at least blockWidth long). Each column sees exactly the reference's sequence of float32 operations, but the
 * memory is read row segment by row segment instead of one sample per 4·width bytes, which keeps the working set in
 * cache and avoids the cache-set aliasing of a strided walk when the row length is a multiple of 4 KiB.
 */
export function boxFilterColumns(
  input: Float32Array,
  output: Float32Array,
  width: number,
  height: number,
  window: number,
  sums: Float32Array,
  blockWidth: number,
): void {
  const half = (window + 2) >> 1;
  for (let start = 0; start < width; start += blockWidth) {
    const n = Math.min(blockWidth, width - start);
    sums.fill(0, 0, n);
    let count = 0;
    let right = start; // index of the block's first column in the row entering the window
    let left = start; // ... in the row leaving the window
    let out = start; // ... in the output row being written
    for (let i = 0; i < half - 1; i++, right += width) {
      for (let j = 0; j < n; j++) sums[j] = sums[j] + input[right + j];
      count++;
    }
    for (let i = window - half + 1; i > 0; i--, right += width, out += width) {
      count++;
      const inverse = 1 / count;
      for (let j = 0; j < n; j++) {
        const sum = fround(sums[j] + input[right + j]);
        sums[j] = sum;
        output[out + j] = sum * inverse;
      }
    }
    const inverse = 1 / count;
    for (let i = height - window; i > 0; i--, right += width, left += width, out += width) {
      for (let j = 0; j < n; j++) {
        const sum = fround(fround(sums[j] + input[right + j]) - input[left + j]);
        sums[j] = sum;
        output[out + j] = sum * inverse;
      }
    }
    for (let i = half - 1; i > 0; i--, left += width, out += width) {
      count--;
      const inverse = 1 / count;
      for (let j = 0; j < n; j++) {
        const sum = fround(sums[j] - input[left + j]);
        sums[j] = sum;
        output[out + j] = sum * inverse;
      }
    }
  }
}
