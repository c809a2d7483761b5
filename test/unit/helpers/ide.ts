// Helpers for the IDE tests: read an example, find a cursor, apply edits.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TextEdit } from '../../../src/core/diagnostics';
import { LineMap, type Range } from '../../../src/core/text';

const root = join(__dirname, '..', '..', '..');

export function example(name: string): string {
  return readFileSync(join(root, 'examples', name), 'utf8');
}

/** The text without its `|` marker, and the marker's offset. */
export function cursor(textWithMarker: string): { text: string; offset: number } {
  const offset = textWithMarker.indexOf('|');
  if (offset < 0) throw new Error('no | marker');
  return { text: textWithMarker.slice(0, offset) + textWithMarker.slice(offset + 1), offset };
}

/** The offset of the n-th (0-based) occurrence of `needle`, plus `delta`. */
export function nth(text: string, needle: string, n = 0, delta = 0): number {
  let at = -1;
  for (let i = 0; i <= n; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`\`${needle}\` occurs fewer than ${n + 1} times`);
  }
  return at + delta;
}

/** The text a range covers. */
export function slice(text: string, r: Range): string {
  const m = new LineMap(text);
  return text.slice(m.offset(r.start), m.offset(r.end));
}

export function applyEdits(text: string, edits: TextEdit[]): string {
  const m = new LineMap(text);
  const spans = edits.map((e) => ({ start: m.offset(e.range.start), end: m.offset(e.range.end), newText: e.newText })).sort((a, b) => b.start - a.start);
  let out = text;
  for (const s of spans) out = out.slice(0, s.start) + s.newText + out.slice(s.end);
  return out;
}
