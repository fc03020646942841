import { describe, expect, it } from 'vitest';
import { syntheticPixels } from '../../../bench/hash-corpus.js';
import { formatHash256 } from '../../../src/core/hash256.js';
import { boxFilterColumns, boxFilterRows } from '../../../src/signals/pdq/jarosz.js';
import { PdqHasher, type RawImage } from '../../../src/signals/pdq/pdq-hasher.js';
import { FunctionBody, I32, signedLeb, unsignedLeb } from '../../../src/signals/pdq/wasm-assembler.js';
import { WasmKernels } from '../../../src/signals/pdq/wasm-kernels.js';

function randomFloats(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = Math.fround(((x >>> 0) % 255000) / 1000.3);
  }
  return out;
}

function differences(a: Float32Array, b: Float32Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

describe('WebAssembly assembler', () => {
  it('encodes LEB128 as the specification does', () => {
    expect(unsignedLeb(0)).toEqual([0]);
    expect(unsignedLeb(127)).toEqual([0x7f]);
    expect(unsignedLeb(128)).toEqual([0x80, 0x01]);
    expect(unsignedLeb(0xe4)).toEqual([0xe4, 0x01]);
    expect(signedLeb(-1)).toEqual([0x7f]);
    expect(signedLeb(63)).toEqual([0x3f]);
    expect(signedLeb(64)).toEqual([0xc0, 0x00]);
    expect(signedLeb(-4)).toEqual([0x7c]);
    expect(signedLeb(-129)).toEqual([0xff, 0x7e]);
  });

  it('groups locals by type', () => {
    const body = new FunctionBody([I32]);
    expect(body.local(I32)).toBe(1);
    expect(body.local(I32)).toBe(2);
    expect(body.encode()).toEqual([4, 1, 2, I32, 0x0b]);
  });
});

describe('WebAssembly PDQ kernels', () => {
  const wasm = WasmKernels.create({ r: new Float64Array(256), g: new Float64Array(256), b: new Float64Array(256) });

  it('are available on this Node', () => {
    expect(wasm).toBeDefined();
    expect(new PdqHasher().backend).toBe('wasm');
    expect(new PdqHasher({ backend: 'js' }).backend).toBe('js');
  });

  for (const [width, height, rowWindow, columnWindow] of [
    [5, 5, 1, 1],
    [7, 9, 2, 3],
    [13, 6, 4, 1],
    [64, 64, 1, 1],
    [257, 131, 3, 2],
    [1024, 37, 8, 1],
    [333, 1025, 3, 9],
    [1001, 503, 8, 4],
  ]) {
    it(`filter rows and columns bit for bit as the JavaScript kernels on ${width}x${height} (windows ${rowWindow}, ${columnWindow})`, () => {
      const n = width * height;
      const input = randomFloats(n, width * 7 + height);
      const layout = wasm!.layout(width, n, 0);
      wasm!.ensure(layout.end);
      new Float32Array(wasm!.memory, layout.buffer1, n).set(input);
      wasm!.rows(layout.buffer1, layout.buffer2, width, height, rowWindow);
      const rows = new Float32Array(n);
      boxFilterRows(input, rows, width, height, rowWindow);
      expect(differences(new Float32Array(wasm!.memory, layout.buffer2, n), rows)).toBe(0);

      wasm!.columns(layout.buffer2, layout.buffer1, width, height, columnWindow, layout.sums);
      const columns = new Float32Array(n);
      boxFilterColumns(rows, columns, width, height, columnWindow, new Float32Array(64), 64);
      expect(differences(new Float32Array(wasm!.memory, layout.buffer1, n), columns)).toBe(0);
    });
  }

  it('give the same hashes and qualities as the JavaScript kernels, for every channel count and regions', () => {
    const fast = new PdqHasher({ backend: 'wasm' });
    const plain = new PdqHasher({ backend: 'js' });
    const sizes = [
      [5, 7],
      [31, 17],
      [130, 257],
      [640, 480],
      [1023, 767],
    ];
    let seed = 1;
    for (const [width, height] of sizes) {
      const rgb = syntheticPixels(width, height, seed++);
      for (const channels of [1, 2, 3, 4] as const) {
        const data = new Uint8Array(width * height * channels);
        for (let p = 0; p < width * height; p++) {
          for (let c = 0; c < channels; c++) data[p * channels + c] = rgb.data[p * 3 + (c % 3)] ^ (c === 3 ? 0x55 : 0);
        }
        const image: RawImage = { data, width, height, channels };
        const a = fast.hash(image, { dihedral: true });
        const b = plain.hash(image, { dihedral: true });
        expect(`${width}x${height}x${channels} ${formatHash256(a.hash)} ${a.quality}`).toBe(`${width}x${height}x${channels} ${formatHash256(b.hash)} ${b.quality}`);
        const region = { left: Math.floor(width / 5), top: Math.floor(height / 7), width: Math.ceil(width / 2), height: Math.ceil(height / 2) };
        expect(formatHash256(fast.hash(image, { region }).hash)).toBe(formatHash256(plain.hash(image, { region }).hash));
      }
    }
  });
});
