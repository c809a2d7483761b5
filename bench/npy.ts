// Writes float64 arrays as .npy (format 1.0), the PyTorch peer's input: exact values, no parsing.
import { writeFileSync } from 'node:fs';

export function writeNpy(path: string, shape: readonly number[], data: Float64Array): void {
  const dims = shape.length === 0 ? '()' : shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': ${dims}, }`;
  // The header is padded with spaces and ends in a newline so the data starts on a 64-byte boundary.
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  // Little-endian float64, as the machine's own layout on x86 and ARM.
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  writeFileSync(path, Buffer.concat([head, Buffer.from(header, 'latin1'), body]));
}
