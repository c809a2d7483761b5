// What the core's WebAssembly modules (the GEMM kernels, the relaxed-SIMD probe, the elementwise
// kernels) need of the runtime: the parts of the WebAssembly API they use — the project's
// TypeScript libs do not declare it — and their bytes from the generated base64 text.

/** A WebAssembly.Memory as the kernels use it. */
export interface WasmMemory {
  /** A SharedArrayBuffer when the memory is shared: growing gives a new, longer one and detaches none. */
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}

/** The parts of the WebAssembly API used by the core. */
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

/** This runtime's WebAssembly, if it has one. */
export function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

/** The bytes of a generated module's base64 text (atob: the core imports no Node module). */
export function fromBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}
