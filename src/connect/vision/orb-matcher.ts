import { createRequire } from 'node:module';
import { UnavailableError } from '../../core/errors.js';

/**
 * Confirms that two images show the same place: ORB features (OpenCV, @techstark/opencv-js, a WebAssembly build
 * loaded once per thread), Hamming k-nearest matches filtered by Lowe's ratio test (0.8), then a homography by
 * RANSAC (reprojection error 5 px). The answer is the number of inlier matches and the inlier point pairs, which the
 * viewer draws as lines between the two images. A homography that folds or collapses the image (negative or tiny
 * determinant) counts as no match. Coordinates are in the pixels of the images given.
 */

export const ORB_FEATURES = 1500;

export interface SceneMatch {
  /** Matches that passed the ratio test. */
  readonly candidates: number;
  /** Matches consistent with one homography (0 when none was found). */
  readonly inliers: number;
  /** Inlier pairs, 4 numbers each: x and y in the first image, x and y in the second. */
  readonly pairs: Float32Array;
  /** Row-major 3x3 homography from the first image to the second, or null. */
  readonly homography: number[] | null;
}

export interface GreyImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- OpenCV's wasm module object is untyped at this boundary */
type Cv = any;

export class OrbMatcher {
  // The module object is boxed: Emscripten's Module is a thenable that resolves to itself, so returning it from an
  // async function (or awaiting it once initialised) would never settle.
  private loading: Promise<{ cv: Cv }> | undefined;
  loadMs = 0;

  private load(): Promise<{ cv: Cv }> {
    this.loading ??= (async () => {
      const started = performance.now();
      try {
        const require = createRequire(import.meta.url);
        const cv = require('@techstark/opencv-js') as Cv;
        if (!cv.Mat) await new Promise<void>((resolve) => (cv.onRuntimeInitialized = resolve));
        this.loadMs = performance.now() - started;
        return { cv };
      } catch (error) {
        throw new UnavailableError(`OpenCV could not be loaded: ${(error as Error).message}`, undefined, { cause: error });
      }
    })();
    return this.loading;
  }

  async match(a: GreyImage, b: GreyImage): Promise<SceneMatch> {
    const { cv } = await this.load();
    const trash: Array<{ delete(): void }> = [];
    const keep = <T extends { delete(): void }>(x: T) => (trash.push(x), x);
    try {
      const orb = keep(new cv.ORB(ORB_FEATURES));
      const none = keep(new cv.Mat());
      const features = (img: GreyImage) => {
        const mat = keep(new cv.Mat(img.height, img.width, cv.CV_8UC1));
        mat.data.set(img.data);
        const points = keep(new cv.KeyPointVector());
        const descriptors = keep(new cv.Mat());
        orb.detectAndCompute(mat, none, points, descriptors);
        return { points, descriptors };
      };
      const fa = features(a);
      const fb = features(b);
      const empty: SceneMatch = { candidates: 0, inliers: 0, pairs: new Float32Array(0), homography: null };
      if (fa.descriptors.rows < 2 || fb.descriptors.rows < 2) return empty;
      const matcher = keep(new cv.BFMatcher(cv.NORM_HAMMING, false));
      const knn = keep(new cv.DMatchVectorVector());
      matcher.knnMatch(fa.descriptors, fb.descriptors, knn, 2);
      const src: number[] = [];
      const dst: number[] = [];
      for (let i = 0; i < knn.size(); i++) {
        const pair = knn.get(i);
        if (pair.size() < 2) continue;
        const m0 = pair.get(0);
        const m1 = pair.get(1);
        if (m0.distance < 0.8 * m1.distance) {
          const p = fa.points.get(m0.queryIdx).pt;
          const q = fb.points.get(m0.trainIdx).pt;
          src.push(p.x, p.y);
          dst.push(q.x, q.y);
        }
      }
      const candidates = src.length / 2;
      if (candidates < 4) return { ...empty, candidates };
      const srcMat = keep(cv.matFromArray(candidates, 1, cv.CV_32FC2, src));
      const dstMat = keep(cv.matFromArray(candidates, 1, cv.CV_32FC2, dst));
      const mask = keep(new cv.Mat());
      const h = keep(cv.findHomography(srcMat, dstMat, cv.RANSAC, 5, mask));
      if (h.rows !== 3 || mask.rows !== candidates) return { ...empty, candidates };
      const H = Array.from(h.data64F as Float64Array);
      const det = H[0] * H[4] - H[1] * H[3];
      if (!(det > 0.02 && det < 50)) return { ...empty, candidates };
      const pairs: number[] = [];
      for (let i = 0; i < candidates; i++) if (mask.data[i]) pairs.push(src[2 * i], src[2 * i + 1], dst[2 * i], dst[2 * i + 1]);
      return { candidates, inliers: pairs.length / 4, pairs: Float32Array.from(pairs), homography: H };
    } finally {
      for (const x of trash.reverse()) x.delete();
    }
  }
}
