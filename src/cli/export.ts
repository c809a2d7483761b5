// `gradlens export --torch|--numpy FILE.grad [-o OUT.py]`: writes the script (and its .npz, when
// large tensors need one) where the user chose — the -o path, or the current directory — and
// prints the paths written.
import { statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { defaultScriptName, exportScript } from '../core';
import type { ExportArgs } from './args';
import type { Io } from './io';

export function runExport(args: ExportArgs, text: string, io: Io, cwd: string = process.cwd()): number {
  const script = scriptPath(args, cwd);
  const r = exportScript(args.target, text, { fileName: args.file, seed: args.seed, dims: args.dims, scriptName: basename(script) });
  for (const w of r.warnings) io.err(`gradlens: warning: ${w}\n`);
  if (!r.ok) {
    // A file with errors: the message already names the file and lists them.
    io.err(r.reason === 'errors' ? `gradlens: ${r.error}\n` : `gradlens: cannot export ${args.file}: ${r.error}\n`);
    return 1;
  }
  const written: string[] = [];
  for (const f of r.files) {
    const path = join(dirname(script), f.path);
    try {
      writeFileSync(path, 'content' in f ? f.content : f.bytes);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
      io.err(`gradlens: cannot write ${display(path, cwd)}: ${why}\n`);
      return 2;
    }
    written.push(display(path, cwd));
  }
  io.out(written.map((p) => `${p}\n`).join(''));
  return 0;
}

/** -o names the script, or a directory to put the default name in; without -o, the current directory. */
function scriptPath(args: ExportArgs, cwd: string): string {
  const name = defaultScriptName(args.target, args.file);
  if (!args.out) return join(cwd, name);
  const out = resolve(cwd, args.out);
  return /[\\/]$/.test(args.out) || isDirectory(out) ? join(out, name) : out;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Paths under the current directory print relative to it, as the user would type them. */
function display(p: string, cwd: string): string {
  const rel = relative(cwd, p);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
}
