import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UnavailableError } from '../../core/errors.js';

/**
 * Face detection and 128-dimensional descriptors with @vladmandic/face-api on the TensorFlow.js WebAssembly backend,
 * everything from node_modules: the wasm binaries through `setWasmPaths(<dist folder>, false)` (a file path read by
 * Emscripten with `fs`, not fetched), the models through face-api's `loadFromDisk` (tfjs io handlers on `fs`). No
 * network at any point. face-api's node-wasm bundle (dist/face-api.node-wasm.js, CommonJS) requires
 * `@tensorflow/tfjs` and `@tensorflow/tfjs-backend-wasm` itself, so the same tfjs instance is shared.
 *
 * Pipeline: TinyFaceDetector (input 416, score >= 0.5) -> 68-point landmarks (alignment) -> FaceRecognitionNet
 * (ResNet-34, the dlib descriptor: two photos of one person are usually below 0.6 apart). One engine per thread,
 * models loaded once.
 */

export const FACE_MODEL = 'face-api-1.7.15/tiny416-lm68-rec128';
export const FACE_DESCRIPTOR_DIM = 128;

export interface DetectedFace {
  /** Box in the pixels of the image given (x, y, width, height). */
  readonly box: readonly [number, number, number, number];
  readonly score: number;
  readonly descriptor: Float32Array;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- face-api's CommonJS bundle is typed loosely at this boundary */
type FaceApi = any;
type Tf = any;

export class FaceEngine {
  private loading: Promise<{ faceapi: FaceApi; tf: Tf }> | undefined;
  /** Milliseconds the backend and models took to load (for the benchmark and the logs). */
  loadMs = 0;

  constructor(private readonly options: { inputSize?: number; minScore?: number } = {}) {}

  private load(): Promise<{ faceapi: FaceApi; tf: Tf }> {
    this.loading ??= (async () => {
      const started = performance.now();
      const require = createRequire(import.meta.url);
      try {
        const tf = require('@tensorflow/tfjs') as Tf;
        const wasm = require('@tensorflow/tfjs-backend-wasm') as { setWasmPaths(prefix: string, usePlatformFetch?: boolean): void };
        const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
        wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`, false);
        tf.env().set('IS_NODE', true);
        await tf.setBackend('wasm');
        await tf.ready();
        const models = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
        await faceapi.nets.tinyFaceDetector.loadFromDisk(models);
        await faceapi.nets.faceLandmark68Net.loadFromDisk(models);
        await faceapi.nets.faceRecognitionNet.loadFromDisk(models);
        this.loadMs = performance.now() - started;
        return { faceapi, tf };
      } catch (error) {
        throw new UnavailableError(`face models could not be loaded: ${(error as Error).message}`, undefined, { cause: error });
      }
    })();
    return this.loading;
  }

  /** Faces in an RGB image (3 bytes per pixel, row-major). */
  async detect(rgb: Uint8Array, width: number, height: number): Promise<DetectedFace[]> {
    const { faceapi, tf } = await this.load();
    const input = tf.tensor3d(rgb, [height, width, 3], 'int32');
    try {
      const options = new faceapi.TinyFaceDetectorOptions({ inputSize: this.options.inputSize ?? 416, scoreThreshold: this.options.minScore ?? 0.5 });
      const results = (await faceapi.detectAllFaces(input, options).withFaceLandmarks().withFaceDescriptors()) as Array<{ detection: { box: { x: number; y: number; width: number; height: number }; score: number }; descriptor: Float32Array }>;
      return results.map((r) => {
        const b = r.detection.box;
        const x = Math.max(0, b.x);
        const y = Math.max(0, b.y);
        return {
          box: [x, y, Math.min(width - x, b.width), Math.min(height - y, b.height)] as const,
          score: r.detection.score,
          descriptor: Float32Array.from(r.descriptor),
        };
      });
    } finally {
      input.dispose();
    }
  }
}
