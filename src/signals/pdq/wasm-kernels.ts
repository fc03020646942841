import { F32, FunctionBody, I32, V128, assembleModule, op } from './wasm-assembler.js';

/**
 * The per-pixel part of PDQ (luminance and the Jarosz box filter) as WebAssembly with 128-bit SIMD. WebAssembly's f32
 * operations are IEEE single precision with round-to-nearest-even and no fused multiply-add, exactly the arithmetic of
 * the reference's C++ floats, so the results are bit-identical to the JavaScript kernels (jarosz.ts), which tests
 * check; the SIMD lanes only run independent rows or columns side by side. About three times faster than the
 * JavaScript kernels on one core.
 *
 * Memory layout (bytes): [0, 3072) the luminance tables R, G, B (f32, 256 each); then the column sums, the two float
 * image buffers and the copied pixels, placed by `layout()`.
 */

// The project's TypeScript libraries (ES2023 + @types/node 20) do not declare WebAssembly: the little used here.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly:
  | {
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object) => { readonly exports: Record<string, unknown> };
    }
  | undefined;

const TABLE_BYTES = 3 * 256 * 4;
const PAGE = 65536;
/** Above this the JavaScript kernels are used (WebAssembly memory is capped at 4 GiB and never shrinks). */
export const WASM_MAX_BYTES = 1024 * 1024 * 1024;

export interface WasmLayout {
  readonly sums: number;
  readonly buffer1: number;
  readonly buffer2: number;
  readonly pixels: number;
  readonly end: number;
}

interface KernelExports {
  readonly memory: WasmMemory;
  luma(src: number, stride: number, width: number, height: number, channels: number, dst: number): void;
  rows(input: number, output: number, width: number, height: number, window: number): void;
  cols(input: number, output: number, width: number, height: number, window: number, sums: number): void;
}

/** The compiled kernels and their memory; one per PdqHasher (not shared between threads). */
export class WasmKernels {
  private viewsOf: ArrayBuffer | undefined;
  private byteView = new Uint8Array(0);
  private floatView = new Float32Array(0);

  private constructor(private readonly exports: KernelExports) {}

  /** Compiles the kernels, or returns undefined where WebAssembly SIMD is unavailable. */
  static create(lumaTables: { r: ArrayLike<number>; g: ArrayLike<number>; b: ArrayLike<number> }): WasmKernels | undefined {
    if (typeof WebAssembly !== 'object' || !WebAssembly) return undefined;
    let instance: { readonly exports: Record<string, unknown> };
    try {
      instance = new WebAssembly.Instance(new WebAssembly.Module(buildModule()));
    } catch {
      return undefined;
    }
    const kernels = new WasmKernels(instance.exports as unknown as KernelExports);
    const table = new Float32Array(kernels.exports.memory.buffer, 0, 768);
    for (let v = 0; v < 256; v++) {
      table[v] = lumaTables.r[v];
      table[256 + v] = lumaTables.g[v];
      table[512 + v] = lumaTables.b[v];
    }
    return kernels;
  }

  /** Places the buffers for an image of `pixels` float samples, `width` wide, with `pixelBytes` of copied pixels. */
  layout(width: number, pixels: number, pixelBytes: number): WasmLayout {
    const align = (n: number) => Math.ceil(n / 16) * 16;
    const sums = TABLE_BYTES;
    const buffer1 = align(sums + width * 4);
    const buffer2 = align(buffer1 + pixels * 4);
    const pixelStart = align(buffer2 + pixels * 4);
    return { sums, buffer1, buffer2, pixels: pixelStart, end: pixelStart + pixelBytes };
  }

  /** Grows the memory to hold `bytes` (throws RangeError when the engine refuses). */
  ensure(bytes: number): void {
    const memory = this.exports.memory;
    if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
  }

  /** ensure(), answering false instead of throwing when the memory cannot grow that far. */
  tryEnsure(bytes: number): boolean {
    try {
      this.ensure(bytes);
      return true;
    } catch (error) {
      if (error instanceof RangeError) return false;
      throw error;
    }
  }

  get memory(): ArrayBuffer {
    return this.exports.memory.buffer;
  }

  /** The whole memory as bytes (a cached view, renewed when the memory grows). */
  get bytes(): Uint8Array {
    this.refreshViews();
    return this.byteView;
  }

  /** The whole memory as floats (index = byte address / 4). */
  get floats(): Float32Array {
    this.refreshViews();
    return this.floatView;
  }

  private refreshViews(): void {
    const buffer = this.exports.memory.buffer;
    if (this.viewsOf === buffer) return;
    this.viewsOf = buffer;
    this.byteView = new Uint8Array(buffer);
    this.floatView = new Float32Array(buffer);
  }

  luma(src: number, stride: number, width: number, height: number, channels: number, dst: number): void {
    this.exports.luma(src, stride, width, height, channels, dst);
  }

  /** One box-filter pass along rows (byte addresses in this memory). */
  rows(input: number, output: number, width: number, height: number, window: number): void {
    this.exports.rows(input, output, width, height, window);
  }

  /** One box-filter pass down columns, with `sums` (width floats) as scratch. */
  columns(input: number, output: number, width: number, height: number, window: number, sums: number): void {
    this.exports.cols(input, output, width, height, window, sums);
  }

  /**
   * Two passes of rows then columns over the luminance in buffer1. `columns` are the image columns decimation will
   * read: the last column pass runs on those alone, gathered side by side, since a column's vertical running sum
   * never looks at another column (the same float operations in the same order, so the same values). Returns where
   * the filtered image starts (a float index) and its row length: `width` with every column when `columns` is
   * absent, `columns.length` otherwise.
   */
  jarosz(layout: WasmLayout, width: number, height: number, rowWindow: number, columnWindow: number, columns?: Int32Array): { base: number; stride: number } {
    this.exports.rows(layout.buffer1, layout.buffer2, width, height, rowWindow);
    this.exports.cols(layout.buffer2, layout.buffer1, width, height, columnWindow, layout.sums);
    this.exports.rows(layout.buffer1, layout.buffer2, width, height, rowWindow);
    if (!columns || columns.length >= width) {
      this.exports.cols(layout.buffer2, layout.buffer1, width, height, columnWindow, layout.sums);
      return { base: layout.buffer1 >> 2, stride: width };
    }
    const f = this.floats;
    const n = columns.length;
    for (let y = 0, from = layout.buffer2 >> 2, to = layout.buffer1 >> 2; y < height; y++, from += width, to += n) {
      for (let j = 0; j < n; j++) f[to + j] = f[from + columns[j]];
    }
    this.exports.cols(layout.buffer1, layout.buffer2, n, height, columnWindow, layout.sums);
    return { base: layout.buffer2 >> 2, stride: n };
  }
}

function buildModule(): Uint8Array {
  return assembleModule(
    [
      { name: 'luma', body: lumaKernel() },
      { name: 'rows', body: rowsKernel() },
      { name: 'cols', body: columnsKernel() },
    ],
    1,
  );
}

const f32Zero = (b: FunctionBody) => b.emit(0x43, 0, 0, 0, 0);

/** luma(src, stride, width, height, channels, dst): float luminance of a pixel rectangle, row-major into dst. */
function lumaKernel(): FunctionBody {
  const b = new FunctionBody([I32, I32, I32, I32, I32, I32]);
  const [src, stride, width, height, channels, dst] = [0, 1, 2, 3, 4, 5];
  const y = b.local(I32);
  const p = b.local(I32);
  const end = b.local(I32);
  b.i32(0).set(y);
  b.whileLoop(
    () => b.get(y).get(height).emit(op.i32LtU),
    () => {
      b.get(src).get(y).get(stride).emit(op.i32Mul, op.i32Add).set(p);
      b.get(p).get(width).get(channels).emit(op.i32Mul, op.i32Add).set(end);
      const advance = () => {
        b.get(p).get(channels).emit(op.i32Add).set(p);
        b.get(dst).i32(4).emit(op.i32Add).set(dst);
      };
      b.get(channels).i32(3).emit(op.i32GeU);
      b.ifThenElse(
        () =>
          b.whileLoop(
            () => b.get(p).get(end).emit(op.i32LtU),
            () => {
              b.get(dst);
              b.get(p).loadU8(0).i32(2).emit(op.i32Shl).loadF32(0);
              b.get(p).loadU8(1).i32(2).emit(op.i32Shl).loadF32(1024);
              b.emit(op.f32Add);
              b.get(p).loadU8(2).i32(2).emit(op.i32Shl).loadF32(2048);
              b.emit(op.f32Add).storeF32(0);
              advance();
            },
          ),
        () =>
          b.whileLoop(
            () => b.get(p).get(end).emit(op.i32LtU),
            () => {
              b.get(dst).get(p).loadU8(0).emit(op.f32ConvertI32U).storeF32(0);
              advance();
            },
          ),
      );
      b.get(y).i32(1).emit(op.i32Add).set(y);
    },
  );
  return b;
}

/**
 * rows(in, out, width, height, window): the box filter along every row. Four rows at a time run in the four SIMD
 * lanes (each lane its own running sum); leftover rows run one at a time in scalar f32.
 */
function rowsKernel(): FunctionBody {
  const b = new FunctionBody([I32, I32, I32, I32, I32]);
  const [input, output, width, height, window] = [0, 1, 2, 3, 4];
  const half = b.local(I32);
  const rowBytes = b.local(I32);
  const nFill = b.local(I32);
  const nGrow = b.local(I32);
  const nSlide = b.local(I32);
  const y = b.local(I32);
  const a = [b.local(I32), b.local(I32), b.local(I32), b.local(I32)];
  const out = [b.local(I32), b.local(I32), b.local(I32), b.local(I32)];
  const r = b.local(I32);
  const l = b.local(I32);
  const o = b.local(I32);
  const count = b.local(I32);
  const i = b.local(I32);
  const sum = b.local(V128);
  const t = b.local(V128);
  const d = b.local(V128);
  const s = b.local(F32);
  const df = b.local(F32);

  b.get(window).i32(2).emit(op.i32Add).i32(1).emit(op.i32ShrU).set(half);
  b.get(width).i32(2).emit(op.i32Shl).set(rowBytes);
  b.get(half).i32(1).emit(op.i32Sub).set(nFill);
  b.get(window).get(half).emit(op.i32Sub).i32(1).emit(op.i32Add).set(nGrow);
  b.get(width).get(window).emit(op.i32Sub).set(nSlide);
  const add = (x: number, k: number) => b.get(x).i32(k).emit(op.i32Add).set(x);

  /** Pushes the f32x4 of the four rows' samples at byte offset `off`. */
  const gather = (off: number) => {
    b.get(a[0]).get(off).emit(op.i32Add).simd(op.load32Zero, 2, 0).set(t);
    for (let k = 1; k < 4; k++) b.get(a[k]).get(off).emit(op.i32Add).get(t).simd(op.load32Lane, 2, 0, k).set(t);
    b.get(t);
  };
  /** Stores lane k of local `v` to row k at byte offset o. */
  const scatter = (v: number) => {
    for (let k = 0; k < 4; k++) b.get(out[k]).get(o).emit(op.i32Add).get(v).simd(op.store32Lane, 2, 0, k);
  };
  const splatCount = () => b.get(count).emit(op.f32ConvertI32U).simd(op.f32x4Splat).set(d);
  const writeMean = () => {
    b.get(sum).get(d).simd(op.f32x4Div).set(t);
    scatter(t);
    add(o, 4);
  };

  b.i32(0).set(y);
  b.whileLoop(
    () => b.get(y).i32(3).emit(op.i32Add).get(height).emit(op.i32LtU),
    () => {
      b.get(input).get(y).get(rowBytes).emit(op.i32Mul, op.i32Add).set(a[0]);
      b.get(output).get(y).get(rowBytes).emit(op.i32Mul, op.i32Add).set(out[0]);
      for (let k = 1; k < 4; k++) {
        b.get(a[k - 1]).get(rowBytes).emit(op.i32Add).set(a[k]);
        b.get(out[k - 1]).get(rowBytes).emit(op.i32Add).set(out[k]);
      }
      f32Zero(b).simd(op.f32x4Splat).set(sum);
      b.i32(0).set(count).i32(0).set(r).i32(0).set(l).i32(0).set(o);
      b.repeat(nFill, i, () => {
        b.get(sum);
        gather(r);
        b.simd(op.f32x4Add).set(sum);
        add(r, 4);
        add(count, 1);
      });
      b.repeat(nGrow, i, () => {
        b.get(sum);
        gather(r);
        b.simd(op.f32x4Add).set(sum);
        add(r, 4);
        add(count, 1);
        splatCount();
        writeMean();
      });
      splatCount();
      b.repeat(nSlide, i, () => {
        b.get(sum);
        gather(r);
        b.simd(op.f32x4Add);
        gather(l);
        b.simd(op.f32x4Sub).set(sum);
        add(r, 4);
        add(l, 4);
        writeMean();
      });
      b.repeat(nFill, i, () => {
        b.get(sum);
        gather(l);
        b.simd(op.f32x4Sub).set(sum);
        add(l, 4);
        add(count, -1);
        splatCount();
        writeMean();
      });
      add(y, 4);
    },
  );

  // Leftover rows, one at a time.
  b.whileLoop(
    () => b.get(y).get(height).emit(op.i32LtU),
    () => {
      b.get(input).get(y).get(rowBytes).emit(op.i32Mul, op.i32Add).set(a[0]);
      b.get(output).get(y).get(rowBytes).emit(op.i32Mul, op.i32Add).set(out[0]);
      f32Zero(b).set(s);
      b.i32(0).set(count).i32(0).set(r).i32(0).set(l).i32(0).set(o);
      const load = (off: number) => b.get(a[0]).get(off).emit(op.i32Add).loadF32(0);
      const store = (divisor: () => void) => {
        b.get(out[0]).get(o).emit(op.i32Add).get(s);
        divisor();
        b.emit(op.f32Div).storeF32(0);
        add(o, 4);
      };
      const countAsF32 = () => b.get(count).emit(op.f32ConvertI32U);
      b.repeat(nFill, i, () => {
        b.get(s);
        load(r);
        b.emit(op.f32Add).set(s);
        add(r, 4);
        add(count, 1);
      });
      b.repeat(nGrow, i, () => {
        b.get(s);
        load(r);
        b.emit(op.f32Add).set(s);
        add(r, 4);
        add(count, 1);
        store(countAsF32);
      });
      countAsF32();
      b.set(df);
      b.repeat(nSlide, i, () => {
        b.get(s);
        load(r);
        b.emit(op.f32Add);
        load(l);
        b.emit(op.f32Sub).set(s);
        add(r, 4);
        add(l, 4);
        store(() => b.get(df));
      });
      b.repeat(nFill, i, () => {
        b.get(s);
        load(l);
        b.emit(op.f32Sub).set(s);
        add(l, 4);
        add(count, -1);
        store(countAsF32);
      });
      add(y, 1);
    },
  );
  return b;
}

/**
 * cols(in, out, width, height, window, sums): the box filter down every column, sweeping whole rows: one running sum
 * per column in `sums`, four columns per SIMD operation, the last width % 4 columns in scalar f32.
 */
function columnsKernel(): FunctionBody {
  const b = new FunctionBody([I32, I32, I32, I32, I32, I32]);
  const [input, output, width, height, window, sums] = [0, 1, 2, 3, 4, 5];
  const half = b.local(I32);
  const rowBytes = b.local(I32);
  const vectorBytes = b.local(I32);
  const nFill = b.local(I32);
  const nGrow = b.local(I32);
  const nSlide = b.local(I32);
  const count = b.local(I32);
  const i = b.local(I32);
  const j = b.local(I32);
  const r = b.local(I32);
  const l = b.local(I32);
  const o = b.local(I32);
  const t = b.local(V128);
  const d = b.local(V128);
  const ts = b.local(F32);
  const df = b.local(F32);

  b.get(window).i32(2).emit(op.i32Add).i32(1).emit(op.i32ShrU).set(half);
  b.get(width).i32(2).emit(op.i32Shl).set(rowBytes);
  b.get(width).i32(-4).emit(op.i32And).i32(2).emit(op.i32Shl).set(vectorBytes);
  b.get(half).i32(1).emit(op.i32Sub).set(nFill);
  b.get(window).get(half).emit(op.i32Sub).i32(1).emit(op.i32Add).set(nGrow);
  b.get(height).get(window).emit(op.i32Sub).set(nSlide);
  const add = (x: number, k: number) => b.get(x).i32(k).emit(op.i32Add).set(x);
  const at = (base: number) => b.get(base).get(j).emit(op.i32Add);

  // sums = 0
  b.i32(0).set(j);
  b.whileLoop(
    () => b.get(j).get(rowBytes).emit(op.i32LtU),
    () => {
      at(sums);
      f32Zero(b).storeF32(0);
      add(j, 4);
    },
  );

  /**
   * One sweep across a row: sums[j] (+= in[r + j]) (-= in[l + j]); out[o + j] = sums[j] / count when writing. Vector
   * part then scalar tail.
   */
  const sweep = (entering: boolean, leaving: boolean, write: boolean) => {
    b.i32(0).set(j);
    b.whileLoop(
      () => b.get(j).get(vectorBytes).emit(op.i32LtU),
      () => {
        at(sums);
        at(sums).loadV128(0);
        if (entering) at(r).loadV128(0).simd(op.f32x4Add);
        if (leaving) at(l).loadV128(0).simd(op.f32x4Sub);
        b.tee(t).storeV128(0);
        if (write) at(o).get(t).get(d).simd(op.f32x4Div).storeV128(0);
        add(j, 16);
      },
    );
    b.whileLoop(
      () => b.get(j).get(rowBytes).emit(op.i32LtU),
      () => {
        at(sums);
        at(sums).loadF32(0);
        if (entering) at(r).loadF32(0).emit(op.f32Add);
        if (leaving) at(l).loadF32(0).emit(op.f32Sub);
        b.tee(ts).storeF32(0);
        if (write) at(o).get(ts).get(df).emit(op.f32Div).storeF32(0);
        add(j, 4);
      },
    );
  };
  const setDivisor = () => {
    b.get(count).emit(op.f32ConvertI32U).tee(df).simd(op.f32x4Splat).set(d);
  };

  b.get(input).set(r).get(input).set(l).get(output).set(o).i32(0).set(count);
  b.repeat(nFill, i, () => {
    sweep(true, false, false);
    b.get(r).get(rowBytes).emit(op.i32Add).set(r);
    add(count, 1);
  });
  b.repeat(nGrow, i, () => {
    add(count, 1);
    setDivisor();
    sweep(true, false, true);
    b.get(r).get(rowBytes).emit(op.i32Add).set(r);
    b.get(o).get(rowBytes).emit(op.i32Add).set(o);
  });
  setDivisor();
  b.repeat(nSlide, i, () => {
    sweep(true, true, true);
    b.get(r).get(rowBytes).emit(op.i32Add).set(r);
    b.get(l).get(rowBytes).emit(op.i32Add).set(l);
    b.get(o).get(rowBytes).emit(op.i32Add).set(o);
  });
  b.repeat(nFill, i, () => {
    add(count, -1);
    setDivisor();
    sweep(false, true, true);
    b.get(l).get(rowBytes).emit(op.i32Add).set(l);
    b.get(o).get(rowBytes).emit(op.i32Add).set(o);
  });
  return b;
}
