// Shared by the debugger's unit tests: record an example (or a text) and walk it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { recordTrace, TraceCursor, type RecordOptions, type Trace } from '../../../src/core/debug';

export const examples = join(__dirname, '..', '..', '..', 'examples');

export function readExample(file: string): string {
  return readFileSync(join(examples, file), 'utf8');
}

export function traceOf(text: string, options: RecordOptions = {}): Trace {
  const r = recordTrace(text, options);
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r.trace;
}

export function cursorOf(text: string, options: RecordOptions = {}): TraceCursor {
  return new TraceCursor(traceOf(text, options));
}

/** 0-based line of the first line (not a comment) containing `needle`. */
export function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => !l.trimStart().startsWith('#') && l.includes(needle));
  assert.ok(i >= 0, `no line contains ${needle}`);
  return i;
}

/** Where the cursor is, in words: phase, innermost line (1-based) and its text. */
export function where(c: TraceCursor): string {
  const s = c.current?.stop;
  if (!s) return 'ended';
  const f = s.frames[s.frames.length - 1];
  return `${s.phase} ${f.line + 1} ${f.text}`;
}

/** A named entry of a scope of the current stop's frame, as one number. */
export function scalar(c: TraceCursor, scope: 'locals' | 'gradients' | 'parameters', name: string, depth = 0): number {
  const f = c.frame(depth);
  assert.ok(f, 'not stopped');
  const e = f[scope].find((x) => x.name === name);
  assert.ok(e, `no ${name} in ${scope}: ${f[scope].map((x) => x.name).join(', ')}`);
  assert.equal(e.value.size, 1);
  return e.value.data[0];
}
