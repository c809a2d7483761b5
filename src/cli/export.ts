// `gradlens export --torch|--numpy FILE.grad [-o OUT.py]`: writes the script (and its .npz, when
// large tensors need one) where the user chose — the -o path, or the current directory — and
// prints the paths written.
import { existsSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { defaultScriptName, exportScript } from '../core';
import type { ExportArgs } from './args';
import { terminalSafe } from './format';
import type { Io } from './io';

export function runExport(args: ExportArgs, text: string, io: Io, cwd: string = process.cwd()): number {
  const script = scriptPath(args, cwd);
  const r = exportScript(args.target, text, { fileName: args.file, seed: args.seed, dims: args.dims, scriptName: basename(script) });
  for (const w of r.warnings) io.err(terminalSafe(`gradlens: warning: ${w}\n`));
  if (!r.ok) {
    // A file with errors: the message already names the file and lists them.
    io.err(terminalSafe(r.reason === 'errors' ? `gradlens: ${r.error}\n` : `gradlens: cannot export ${args.file}: ${r.error}\n`));
    return 1;
  }
  // Checked before anything is written: the input is never replaced, an existing file only with --force.
  const paths = r.files.map((f) => join(dirname(script), f.path));
  const input = canonical(resolve(cwd, args.file));
  const overInput = paths.find((p) => canonical(p) === input);
  if (overInput) {
    io.err(`gradlens: refusing to write ${terminalSafe(display(overInput, cwd))}: it is the file being exported; choose another -o\n`);
    return 2;
  }
  const existing = args.force ? [] : paths.filter((p) => existsSync(p));
  if (existing.length) {
    io.err(`gradlens: refusing to overwrite ${existing.map((p) => terminalSafe(display(p, cwd))).join(' and ')}; pass --force to replace ${existing.length === 1 ? 'it' : 'them'}, or choose another -o\n`);
    return 2;
  }
  const written: string[] = [];
  for (const [k, f] of r.files.entries()) {
    const path = paths[k];
    try {
      writeFileSync(path, 'content' in f ? f.content : f.bytes);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
      io.err(`gradlens: cannot write ${terminalSafe(display(path, cwd))}: ${why}\n`);
      return 2;
    }
    written.push(display(path, cwd));
  }
  io.out(written.map((p) => `${terminalSafe(p)}\n`).join(''));
  return 0;
}

/** -o names the script, or a directory to put the default name in; without -o, the current directory. */
function scriptPath(args: ExportArgs, cwd: string): string {
  const name = defaultScriptName(args.target, args.file);
  if (!args.out) return join(cwd, name);
  const out = resolve(cwd, args.out);
  return /[\\/]$/.test(args.out) || isDirectory(out) ? join(out, name) : out;
}

/** The path with links resolved (a file that does not exist yet: as given). */
function canonical(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
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
