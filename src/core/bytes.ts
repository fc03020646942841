/**
 * A Buffer over the same memory as a typed array (no copy): Buffer's methods for bytes that arrive as a Uint8Array
 * (from a worker thread, WebAssembly memory, a Float32Array's bytes). Writes through either view are seen by both.
 */
export function asBuffer(bytes: ArrayBufferView): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
