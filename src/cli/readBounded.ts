// Reading a .grad file from the command line no further than the lexer reads it (shared by
// `check`, `export` and `fmt`).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { CORE_DEFAULTS } from '../core';

/**
 * A file's text, read no further than the lexer would (CORE_DEFAULTS.maxChars characters: at most
 * 3 UTF-8 bytes each, and a few more so the lexer sees it is longer and says so): a file of
 * gigabytes costs no more than one at the cap.
 */
export function readBounded(file: string): string {
  const most = CORE_DEFAULTS.maxChars * 3 + 4;
  const fd = openSync(file, 'r');
  try {
    const st = fstatSync(fd);
    // A pipe has no size: up to the bound. A directory: readSync fails with EISDIR, as before.
    const buf = Buffer.alloc(st.isFile() ? Math.min(st.size, most) : most);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) break;
      got += n;
    }
    return new TextDecoder('utf-8', { ignoreBOM: true }).decode(buf.subarray(0, got)); // a BOM kept, as readFileSync does
  } finally {
    closeSync(fd);
  }
}

