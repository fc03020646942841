import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCENE_MIN_INLIERS } from '../../src/connect/scene-service.js';
import { VisionPool } from '../../src/connect/vision-pool.js';
import { SCENE_DESCRIPTOR_DIM, SCENE_SIDE, sceneDescriptor } from '../../src/connect/vision/scene-descriptor.js';
import { FACE_DESCRIPTOR_DIM } from '../../src/connect/vision/face-engine.js';
import { InvalidError } from '../../src/core/errors.js';
import { cropped, faceSample, syntheticScene } from './support.js';

function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

describe('vision worker pool (face-api on tfjs wasm, OpenCV ORB) on benign images', () => {
  let pool: VisionPool;
  beforeAll(() => {
    pool = new VisionPool({ size: 1 });
  });
  afterAll(async () => pool.close());

  it('finds the faces of a sample photo with 128-d descriptors, and the same faces again in a smaller copy', async () => {
    const photo = faceSample(1);
    const a = await pool.analyse(photo, { faces: true, scene: false });
    expect(a.width).toBe(1920);
    expect(a.faces!.length).toBeGreaterThanOrEqual(2);
    for (const f of a.faces!) {
      expect(f.descriptor).toHaveLength(FACE_DESCRIPTOR_DIM);
      expect(f.descriptor.every(Number.isFinite)).toBe(true);
      expect(f.box[2]).toBeGreaterThan(50);
      expect(f.box[0] + f.box[2]).toBeLessThanOrEqual(1920 + 1);
    }
    const copy = await sharp(photo).resize(1200).jpeg({ quality: 70 }).toBuffer();
    const b = await pool.analyse(copy, { faces: true, scene: false });
    // Every face of the original has its counterpart in the copy nearer than any other face of the original.
    for (const [i, f] of a.faces!.entries()) {
      const nearest = Math.min(...b.faces!.map((g) => distance(f.descriptor, g.descriptor)));
      expect(nearest).toBeLessThan(0.4);
      const others = a.faces!.filter((_, j) => j !== i).map((g) => distance(f.descriptor, g.descriptor));
      expect(Math.min(...others)).toBeGreaterThan(nearest);
    }
  });

  it('refuses bytes that are not an image with a clear error', async () => {
    await expect(pool.analyse(Buffer.from('not an image at all'), { faces: true, scene: true })).rejects.toBeInstanceOf(InvalidError);
  });

  it('confirms a 7 % crop of a scene by ORB + RANSAC and rejects another scene, with point pairs inside both images', async () => {
    const room = await syntheticScene(1);
    const crop = await cropped(room, 0.07, 0.8);
    const same = await pool.match(room, crop);
    expect(same.inliers).toBeGreaterThanOrEqual(SCENE_MIN_INLIERS);
    expect(same.pairs.length).toBe(same.inliers * 4);
    expect(same.b.width).toBe(Math.round(800 * 0.86 * 0.8));
    // Each pair maps a point of the room to the crop: x_crop = (x_room - 56) * 0.8 (within RANSAC's tolerance).
    for (let i = 0; i < same.pairs.length; i += 4) {
      expect(Math.abs((same.pairs[i] - 56) * 0.8 - same.pairs[i + 2])).toBeLessThan(6);
      expect(Math.abs((same.pairs[i + 1] - 42) * 0.8 - same.pairs[i + 3])).toBeLessThan(6);
    }
    const other = await pool.match(room, await syntheticScene(2));
    expect(other.inliers).toBeLessThan(SCENE_MIN_INLIERS);
  });

  it('gives a scene descriptor that is closer for a crop of the same place than for another place', async () => {
    const room = await syntheticScene(3);
    const [a, b, c] = await Promise.all([room, await cropped(room, 0.06, 0.7), await syntheticScene(4)].map((x) => pool.analyse(x, { faces: false, scene: true })));
    expect(a.scene).toHaveLength(SCENE_DESCRIPTOR_DIM);
    expect(distance(a.scene!, b.scene!)).toBeLessThan(distance(a.scene!, c.scene!));
  });
});

describe('scene descriptor', () => {
  it('is unit length, deterministic and refuses the wrong input size', () => {
    const grey = Uint8Array.from({ length: SCENE_SIDE * SCENE_SIDE }, (_, i) => (i * 7919) % 251);
    const d = sceneDescriptor(grey);
    expect(Math.hypot(...d)).toBeCloseTo(1, 5);
    expect(Array.from(sceneDescriptor(grey))).toEqual(Array.from(d));
    expect(() => sceneDescriptor(new Uint8Array(10))).toThrow(RangeError);
    // A flat image has no gradients: all zeros, never NaN.
    expect(sceneDescriptor(new Uint8Array(SCENE_SIDE * SCENE_SIDE).fill(9)).every((v) => v === 0)).toBe(true);
  });
});
