import type { ErrorKind } from '../../core/errors.js';

/** Messages between the VisionPool and its worker threads. */
export type VisionRequest =
  | { readonly id: number; readonly op: 'analyse'; readonly bytes: ArrayBuffer; readonly faces: boolean; readonly scene: boolean }
  | { readonly id: number; readonly op: 'match'; readonly a: ArrayBuffer; readonly b: ArrayBuffer };

export interface FaceResult {
  /** x, y, width, height in the upright original's pixels. */
  readonly box: readonly [number, number, number, number];
  readonly score: number;
  readonly descriptor: Float32Array;
}

export interface AnalyseResult {
  readonly width: number;
  readonly height: number;
  /** Present when faces were asked for. */
  readonly faces?: FaceResult[];
  readonly scene?: Float32Array;
  readonly ms: { readonly decode: number; readonly faces: number; readonly scene: number };
}

export interface MatchResult {
  readonly a: { readonly width: number; readonly height: number };
  readonly b: { readonly width: number; readonly height: number };
  readonly candidates: number;
  readonly inliers: number;
  /** Inlier pairs in the upright originals' pixels: ax, ay, bx, by per pair. */
  readonly pairs: Float32Array;
  readonly homography: number[] | null;
}

export type VisionReply =
  | { readonly id: number; readonly ok: true; readonly result: AnalyseResult | MatchResult }
  | { readonly id: number; readonly ok: false; readonly error: { readonly kind: ErrorKind | 'internal'; readonly message: string } };
