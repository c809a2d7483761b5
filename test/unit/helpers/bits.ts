import type { Tensor } from '../../../src/core/tensor/tensor';

/**
 * The exact bytes of a tensor's entries (or a typed array's) as hex, '-' for none: equal strings
 * mean equal bits, signed zeros and NaN payloads included.
 */
export function bitsOf(x: Tensor | ArrayBufferView | null | undefined): string {
  if (!x) return '-';
  const v = 'data' in x ? x.data : x;
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
}
