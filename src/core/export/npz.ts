// A small dependency-free writer of NumPy's .npy and .npz formats, so large tensors can be saved
// beside an exported script and loaded with `np.load`: .npy version 1.0 (little-endian float64 or
// int64), and .npz as an uncompressed ("stored") zip archive with CRC-32 checksums.

export interface NpyArray {
  shape: readonly number[];
  data: ArrayLike<number>;
  /** Integer labels are saved as int64 (they index arrays in the script). */
  dtype: 'float64' | 'int64';
}

const encoder = new TextEncoder();

/** One .npy file. */
export function npyBytes(a: NpyArray): Uint8Array {
  const shape = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(', ')})`;
  const descr = a.dtype === 'float64' ? '<f8' : '<i8';
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Magic (6) + version (2) + length (2) + header, padded with spaces so the data starts on a
  // 64-byte boundary, ending in a newline (the format's requirement).
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const head = encoder.encode(header);
  const n = a.data.length;
  const out = new Uint8Array(10 + head.length + 8 * n);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0); // \x93NUMPY, version 1.0
  const view = new DataView(out.buffer);
  view.setUint16(8, head.length, true);
  out.set(head, 10);
  const base = 10 + head.length;
  for (let i = 0; i < n; i++) {
    if (a.dtype === 'float64') view.setFloat64(base + 8 * i, a.data[i], true);
    else view.setBigInt64(base + 8 * i, BigInt(Math.trunc(a.data[i])), true);
  }
  return out;
}

/** An .npz archive: each entry saved as `<key>.npy`, loaded back as `np.load(path)[key]`. */
export function npzBytes(entries: ReadonlyMap<string, NpyArray>): Uint8Array {
  return zipStore([...entries].map(([key, a]) => ({ name: `${key}.npy`, data: npyBytes(a) })));
}

// ------------------------------------------------------------------ zip (stored, no compression)

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

interface ZipEntry {
  name: string;
  data: Uint8Array;
}

// 1980-01-01 00:00, the earliest DOS date: a fixed time keeps exports byte-for-byte reproducible.
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

export function zipStore(entries: readonly ZipEntry[]): Uint8Array {
  const names = entries.map((e) => encoder.encode(e.name));
  const crcs = entries.map((e) => crc32(e.data));
  const localSize = entries.reduce((s, e, i) => s + 30 + names[i].length + e.data.length, 0);
  const centralSize = entries.reduce((s, _e, i) => s + 46 + names[i].length, 0);
  if (localSize + centralSize > 0xffffffff) throw new Error('internal: archive over 4 GiB (zip64 is not supported)');
  const out = new Uint8Array(localSize + centralSize + 22);
  const view = new DataView(out.buffer);
  let p = 0;
  const u16 = (v: number) => {
    view.setUint16(p, v, true);
    p += 2;
  };
  const u32 = (v: number) => {
    view.setUint32(p, v >>> 0, true);
    p += 4;
  };
  const offsets: number[] = [];
  entries.forEach((e, i) => {
    offsets.push(p);
    u32(0x04034b50);
    u16(20); // version needed: 2.0
    u16(0); // flags
    u16(0); // method: stored
    u16(DOS_TIME);
    u16(DOS_DATE);
    u32(crcs[i]);
    u32(e.data.length);
    u32(e.data.length);
    u16(names[i].length);
    u16(0); // extra field length
    out.set(names[i], p);
    p += names[i].length;
    out.set(e.data, p);
    p += e.data.length;
  });
  const centralStart = p;
  entries.forEach((e, i) => {
    u32(0x02014b50);
    u16(20); // version made by
    u16(20); // version needed
    u16(0);
    u16(0);
    u16(DOS_TIME);
    u16(DOS_DATE);
    u32(crcs[i]);
    u32(e.data.length);
    u32(e.data.length);
    u16(names[i].length);
    u16(0); // extra
    u16(0); // comment
    u16(0); // disk number
    u16(0); // internal attributes
    u32(0); // external attributes
    u32(offsets[i]);
    out.set(names[i], p);
    p += names[i].length;
  });
  const centralLength = p - centralStart;
  u32(0x06054b50);
  u16(0);
  u16(0);
  u16(entries.length);
  u16(entries.length);
  u32(centralLength);
  u32(centralStart);
  u16(0);
  return out;
}
