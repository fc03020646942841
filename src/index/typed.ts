/**
 * Typed-array allocation for the indexes: on an ordinary ArrayBuffer, or on a SharedArrayBuffer so that worker
 * threads can query the same memory without copying it.
 */

type TypedCtor<T> = { new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): T; readonly BYTES_PER_ELEMENT: number };

export function allocU32(length: number, shared: boolean): Uint32Array {
  return alloc(Uint32Array, length, shared);
}
export function allocU16(length: number, shared: boolean): Uint16Array {
  return alloc(Uint16Array, length, shared);
}
export function allocU8(length: number, shared: boolean): Uint8Array {
  return alloc(Uint8Array, length, shared);
}
export function allocI32(length: number, shared: boolean): Int32Array {
  return alloc(Int32Array, length, shared);
}

function alloc<T>(ctor: TypedCtor<T>, length: number, shared: boolean): T {
  const bytes = length * ctor.BYTES_PER_ELEMENT;
  const buffer = shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  return new ctor(buffer, 0, length);
}

/** A copy of `source[0 .. keep)` in a new array of `length` elements (same sharing as `shared`). */
export function growU32(source: Uint32Array, keep: number, length: number, shared: boolean): Uint32Array {
  const next = allocU32(length, shared);
  next.set(source.subarray(0, keep));
  return next;
}
export function growI32(source: Int32Array, keep: number, length: number, shared: boolean): Int32Array {
  const next = allocI32(length, shared);
  next.set(source.subarray(0, keep));
  return next;
}
export function growU8(source: Uint8Array, keep: number, length: number, shared: boolean): Uint8Array {
  const next = allocU8(length, shared);
  next.set(source.subarray(0, keep));
  return next;
}

/** Bytes held by typed arrays (their whole backing views). */
export function bytesOf(...arrays: ReadonlyArray<ArrayBufferView | null | undefined | readonly ArrayBufferView[]>): number {
  let total = 0;
  for (const a of arrays) {
    if (!a) continue;
    if (Array.isArray(a)) for (const b of a as readonly ArrayBufferView[]) total += b.byteLength;
    else total += (a as ArrayBufferView).byteLength;
  }
  return total;
}
