import { describe, expect, it } from 'vitest';
import { asBuffer } from '../../src/core/bytes.js';

describe('asBuffer', () => {
  it('is a Buffer over the same bytes, not a copy', () => {
    const floats = new Float32Array([1, 2, 3]);
    const part = new Uint8Array(floats.buffer, 4, 4);
    const view = asBuffer(part);
    expect(Buffer.isBuffer(view)).toBe(true);
    expect(view.equals(Buffer.from(new Float32Array([2]).buffer))).toBe(true);
    view.writeFloatLE(7, 0);
    expect(floats[1]).toBe(7);
    expect(asBuffer(floats)).toHaveLength(12);
  });
});
