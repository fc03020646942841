/**
 * A minimal WebAssembly binary writer: just enough to emit the PDQ kernels (i32 and f32 arithmetic, memory access,
 * 128-bit SIMD on f32x4, structured loops) without a toolchain. Opcodes follow the WebAssembly core specification 2.0.
 */

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
export type ValueType = typeof I32 | typeof F32 | typeof V128;

export function unsignedLeb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

export function signedLeb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function utf8(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...unsignedLeb(bytes.length), ...bytes];
}

function vector(items: number[][]): number[] {
  return [...unsignedLeb(items.length), ...items.flat()];
}

/** The body of one function: locals are declared up front, then code is appended with the helpers below. */
export class FunctionBody {
  readonly code: number[] = [];
  private readonly localTypes: ValueType[] = [];

  constructor(readonly params: readonly ValueType[]) {}

  /** Declares a local and returns its index. */
  local(type: ValueType): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }

  emit(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }

  get(index: number): this {
    return this.emit(0x20, ...unsignedLeb(index));
  }
  set(index: number): this {
    return this.emit(0x21, ...unsignedLeb(index));
  }
  tee(index: number): this {
    return this.emit(0x22, ...unsignedLeb(index));
  }
  i32(value: number): this {
    return this.emit(0x41, ...signedLeb(value));
  }
  // memory access: memarg = alignment exponent, offset
  loadU8(offset = 0): this {
    return this.emit(0x2d, 0, ...unsignedLeb(offset));
  }
  loadF32(offset = 0): this {
    return this.emit(0x2a, 2, ...unsignedLeb(offset));
  }
  storeF32(offset = 0): this {
    return this.emit(0x38, 2, ...unsignedLeb(offset));
  }
  simd(op: number, ...immediates: number[]): this {
    return this.emit(0xfd, ...unsignedLeb(op), ...immediates);
  }
  loadV128(offset = 0): this {
    return this.simd(0x00, 4, ...unsignedLeb(offset));
  }
  storeV128(offset = 0): this {
    return this.simd(0x0b, 4, ...unsignedLeb(offset));
  }

  /**
   * A loop that runs while `condition` (which pushes an i32) is non-zero, testing before each iteration:
   * block { loop { if !condition break; body; continue } }.
   */
  whileLoop(condition: () => void, body: () => void): this {
    this.emit(0x02, 0x40, 0x03, 0x40);
    condition();
    this.emit(0x45, 0x0d, 1); // i32.eqz; br_if 1 (out of the block)
    body();
    this.emit(0x0c, 0, 0x0b, 0x0b); // br 0 (to the loop head); end loop; end block
    return this;
  }

  /** Runs `body` `count` times (count read from a local, treated as signed: <= 0 runs nothing); uses `counter`. */
  repeat(countLocal: number, counter: number, body: () => void): this {
    this.get(countLocal).set(counter);
    return this.whileLoop(
      () => this.get(counter).i32(0).emit(0x4a), // i32.gt_s
      () => {
        body();
        this.get(counter).i32(1).emit(0x6b).set(counter); // counter -= 1
      },
    );
  }

  /** if (i32 on the stack) then … else … end. */
  ifThenElse(then: () => void, otherwise?: () => void): this {
    this.emit(0x04, 0x40);
    then();
    if (otherwise) {
      this.emit(0x05);
      otherwise();
    }
    return this.emit(0x0b);
  }

  encode(): number[] {
    const groups: number[][] = [];
    for (const type of this.localTypes) {
      const last = groups[groups.length - 1];
      if (last && last[1] === type) last[0]++;
      else groups.push([1, type]);
    }
    const body = [...vector(groups.map(([count, type]) => [...unsignedLeb(count), type])), ...this.code, 0x0b];
    return [...unsignedLeb(body.length), ...body];
  }
}

export const op = {
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  i32LtU: 0x49,
  i32LtS: 0x48,
  i32GtS: 0x4a,
  i32GeU: 0x4f,
  i32GeS: 0x4e,
  f32Add: 0x92,
  f32Sub: 0x93,
  f32Div: 0x95,
  f32ConvertI32U: 0xb3,
  // SIMD (after the 0xfd prefix)
  f32x4Splat: 0x13,
  load32Lane: 0x56,
  store32Lane: 0x5a,
  load32Zero: 0x5c,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Div: 0xe7,
} as const;

/** Assembles a module with one exported memory (`memory`) and the given exported functions (no results). */
export function assembleModule(functions: ReadonlyArray<{ name: string; body: FunctionBody }>, initialPages: number): Uint8Array {
  const section = (id: number, content: number[]) => [id, ...unsignedLeb(content.length), ...content];
  const types = functions.map(({ body }) => [0x60, ...vector(body.params.map((t) => [t])), 0]);
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector(types)),
    ...section(3, vector(functions.map((_, i) => unsignedLeb(i)))),
    ...section(5, vector([[0x00, ...unsignedLeb(initialPages)]])),
    ...section(7, vector([[...utf8('memory'), 0x02, 0], ...functions.map(({ name }, i) => [...utf8(name), 0x00, ...unsignedLeb(i)])])),
    ...section(10, vector(functions.map(({ body }) => body.encode()))),
  ];
  return new Uint8Array(bytes);
}
