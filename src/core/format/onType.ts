// Formatting as you type: a `}` typed on a line of its own moves to the indentation of the line
// that opened its block, so a gate typed line by line comes out as `gradlens fmt` would write it.
// Editors' own bracket rules do not do this for every language and client; the server does.
import type { TextEdit } from '../diagnostics';
import { LineMap } from '../text';

/** The edits after `ch` was typed just before `offset` (only `}` does anything). */
export function formatOnType(text: string, offset: number, ch: string): TextEdit[] {
  if (ch !== '}' || text[offset - 1] !== '}') return [];
  const lines = new LineMap(text);
  const close = offset - 1;
  const lineStart = lines.lineStart(close);
  const before = text.slice(lineStart, close);
  if (!/^[ \t]*$/.test(before)) return [];
  const open = matchingOpen(text, close);
  if (open === null) return [];
  const openLineStart = lines.lineStart(open);
  const indent = /^[ \t]*/.exec(text.slice(openLineStart, open))?.[0] ?? '';
  if (indent === before) return [];
  return [{ range: lines.range({ start: lineStart, end: close }), newText: indent }];
}

/** The `{` a `}` at `close` closes, skipping comments; null when there is none. */
function matchingOpen(text: string, close: number): number | null {
  let depth = 0;
  for (let i = close - 1; i >= 0; i--) {
    const c = text[i];
    if (c === '\n') continue;
    // A `#` earlier on the same line makes what follows it a comment: check from the line start.
    if (c === '}' || c === '{') {
      const ls = text.lastIndexOf('\n', i - 1) + 1;
      if (text.slice(ls, i).includes('#')) continue;
      if (c === '}') depth++;
      else if (depth === 0) return i;
      else depth--;
    }
  }
  return null;
}
