// `gradlens fmt [--check] FILES...`: a thin front on the core's formatter. Directories are searched
// for .grad files. Without --check, files that change are rewritten in place (and named); with
// --check nothing is written and the files that would change are named. A file with syntax errors
// is reported and left alone. Exit status: 2 when a file cannot be read or written, else 1 when a
// file would change (--check) or has syntax errors, else 0.
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DiagnosticSink } from '../core';
import { formatDocument } from '../core';
import { parse } from '../core';
import { LineMap } from '../core';
import type { FmtArgs } from './args';
import { terminalSafe } from './format';
import type { Io } from './io';
import { readBounded } from './readBounded';

function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
}

/** The .grad files a path names: itself, or those under it (sorted; hidden folders skipped). */
function expand(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.') && e.name !== 'node_modules')
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? expand(join(path, e.name)) : e.name.endsWith('.grad') ? [join(path, e.name)] : []));
}

export function runFmt(args: FmtArgs, io: Io): number {
  let unreadable = false;
  let dirty = false;
  for (const path of args.files) {
    let files: string[];
    try {
      files = expand(path);
    } catch (e) {
      io.err(`gradlens: cannot read ${terminalSafe(path)}: ${why(e)}\n`);
      unreadable = true;
      continue;
    }
    for (const file of files) {
      let text: string;
      try {
        // No further than the lexer reads: a file past the cap is a too-large error below, never formatted.
        text = readBounded(file);
      } catch (e) {
        io.err(`gradlens: cannot read ${terminalSafe(file)}: ${why(e)}\n`);
        unreadable = true;
        continue;
      }
      const sink = new DiagnosticSink();
      parse(text, sink);
      if (sink.items.length) {
        const first = sink.items[0];
        const p = new LineMap(text).position(first.span.start);
        const more = sink.items.length > 1 ? ` (and ${sink.items.length - 1} more)` : '';
        io.err(terminalSafe(`${file}:${p.line + 1}:${p.character + 1}: not formatted: ${first.message}${more}\n`));
        dirty = true;
        continue;
      }
      const formatted = formatDocument(text).text;
      if (formatted === text) continue;
      if (args.check) {
        io.out(`${terminalSafe(file)}\n`);
        dirty = true;
        continue;
      }
      try {
        writeFileSync(file, formatted);
        io.out(`formatted ${terminalSafe(file)}\n`);
      } catch (e) {
        io.err(`gradlens: cannot write ${terminalSafe(file)}: ${why(e)}\n`);
        unreadable = true;
      }
    }
  }
  return unreadable ? 2 : dirty ? 1 : 0;
}
