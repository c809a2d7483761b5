// Values at the line ends that belong to an older text: after an edit they stay on screen, marked
// stale, until the analysis of the new text arrives. The edit may have added or removed lines, so
// each text moves with the line it was drawn after (lines the edit replaced lose theirs).
import type { LineValue } from '../serverProtocol';

/** One change of a document, in the lines of the text before it (as VS Code reports it). */
export interface LineEdit {
  startLine: number;
  endLine: number;
  /** Line breaks in the inserted text. */
  insertedBreaks: number;
}

/** The texts at their lines after `edits` (applied in order, each in the previous one's lines). */
export function moveLineValues(lines: LineValue[], edits: LineEdit[]): LineValue[] {
  let out = lines;
  for (const e of edits) {
    const delta = e.insertedBreaks - (e.endLine - e.startLine);
    out = out.flatMap((l) => {
      if (l.line < e.startLine) return [l];
      if (l.line > e.endLine) return [{ ...l, line: l.line + delta }];
      // On the edited lines: an edit inside one line keeps its text there; a text whose line was
      // joined with another or split has no line of its own any more.
      return e.startLine === e.endLine && e.insertedBreaks === 0 ? [l] : [];
    });
  }
  return out;
}

/** What a stale text says: the old value, and that a new one is coming. */
export function staleText(text: string): string {
  return `${text} · updating…`;
}

/**
 * What a set of line-end texts looks like on screen, as one string: equal keys, equal decorations.
 * After an edit inside one line the editor keeps each decoration at the end of its line and
 * `moveLineValues` keeps every line number, so the key is unchanged and nothing is sent again.
 */
export function decorationKey(lines: readonly LineValue[]): string {
  let k = '';
  for (const l of lines) k += `${l.line}\u0000${l.text}\u0001`;
  return k;
}
