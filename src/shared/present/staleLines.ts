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

/**
 * The texts at their lines after `edits` (applied in order, each in the previous one's lines).
 * Every keystroke on the extension host's main thread comes here: an edit that moves no text (inside
 * one line, or below the last text) returns the very array it was given, and a text on a line the
 * edit does not move keeps its object — nothing is allocated for what did not change.
 */
export function moveLineValues(lines: LineValue[], edits: readonly LineEdit[]): LineValue[] {
  let out = lines;
  for (const e of edits) {
    // Typing inside one line keeps every text where it is (the editor keeps each at its line's end).
    if (e.startLine === e.endLine && e.insertedBreaks === 0) continue;
    if (!out.some((l) => l.line >= e.startLine)) continue;
    const delta = e.insertedBreaks - (e.endLine - e.startLine);
    const moved: LineValue[] = [];
    for (const l of out) {
      if (l.line < e.startLine) moved.push(l);
      else if (l.line > e.endLine) moved.push(delta === 0 ? l : { ...l, line: l.line + delta });
      // A text on a line that was joined with another or split has no line of its own any more.
    }
    out = moved;
  }
  return out;
}

/** What a stale text says: the old value, and that a new one is coming. */
export function staleText(text: string): string {
  return `${text} · updating…`;
}

/**
 * Whether `drawn` are exactly the texts of `lines` that `drawable` keeps (same lines, same texts, in
 * order): then the editor shows them already and nothing is sent again. After an edit inside one
 * line the editor keeps each decoration at the end of its line and `moveLineValues` keeps every
 * line number, so they stay equal. Allocates nothing: it runs for every analysis of every keystroke.
 */
export function sameLines(drawn: readonly LineValue[], lines: readonly LineValue[], drawable: (l: LineValue) => boolean = () => true): boolean {
  let i = 0;
  for (const l of lines) {
    if (!drawable(l)) continue;
    const d = drawn[i++];
    if (d === undefined || d.line !== l.line || d.text !== l.text) return false;
  }
  return i === drawn.length;
}
