// The launch configuration of a `grad` debug session, checked before anything runs, and the
// recording of its program (the file is read again on restart).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { recordTrace, SEED_RANGE, type Trace } from '../core';

export interface GradLaunchArguments {
  /** The .grad file to debug. */
  program: string;
  /** Stop at the first statement (default true). */
  stopOnEntry: boolean;
  /** Overrides the file's seed. */
  seed?: number;
  /** Overrides dimension sizes, e.g. {"N": 8}. */
  dims?: Record<string, number>;
  /** Log the DAP traffic to the debug console. */
  trace: boolean;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The arguments, or what is wrong with them (one sentence a user can act on). */
export function parseLaunchArguments(raw: unknown, cwd = process.cwd()): GradLaunchArguments | string {
  // A client sends no arguments at all for an empty configuration.
  if (raw === undefined || raw === null) raw = {};
  if (!isObject(raw)) return 'the launch configuration is not an object';
  const { program, stopOnEntry, seed, dims, trace } = raw;
  if (typeof program !== 'string' || program.trim() === '') return 'set "program" in the launch configuration to the .grad file to debug, e.g. "${file}"';
  if (stopOnEntry !== undefined && typeof stopOnEntry !== 'boolean') return '"stopOnEntry" must be true or false';
  if (trace !== undefined && typeof trace !== 'boolean') return '"trace" must be true or false';
  const out: GradLaunchArguments = { program: resolve(cwd, program), stopOnEntry: stopOnEntry ?? true, trace: trace ?? false };
  if (seed !== undefined && seed !== null) {
    if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < SEED_RANGE.minimum || seed > SEED_RANGE.maximum) return `"seed" must be a whole number from ${SEED_RANGE.minimum} to ${SEED_RANGE.maximum}`;
    out.seed = seed;
  }
  if (dims !== undefined && dims !== null) {
    if (!isObject(dims)) return '"dims" must be an object of dimension sizes, e.g. {"N": 8}';
    for (const [name, size] of Object.entries(dims)) {
      if (!/^[A-Za-z_]\w*$/.test(name) || typeof size !== 'number' || !Number.isInteger(size) || size < 1) return `"dims": ${JSON.stringify(name)} must be a dimension name with a positive whole size`;
    }
    out.dims = dims as Record<string, number>;
  }
  return out;
}

/** Reads and records the program: the trace, or why it cannot be debugged. */
export function loadProgram(args: GradLaunchArguments): { trace: Trace } | { error: string } {
  let text: string;
  try {
    text = readFileSync(args.program, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { error: `cannot read ${args.program}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message}` };
  }
  const r = recordTrace(text, { fileName: args.program, seed: args.seed, dims: args.dims });
  return r.ok ? { trace: r.trace } : { error: r.message };
}
