// The user's comments, read back from the source text (the syntax tree does not keep them) so the
// exported script carries them next to the translated lines. `#` starts a comment in both
// languages and .grad has no strings, so a comment's text is copied as is.
import type { Span } from '../text';
import { LineMap } from '../text';

export class SourceComments {
  private readonly lines: string[];
  private readonly map: LineMap;

  constructor(text: string) {
    this.map = new LineMap(text);
    this.lines = text.split(/\r\n|\r|\n/);
  }

  line(offset: number): number {
    return this.map.position(offset).line;
  }

  /** The `# …` after code on the last line of `span`, or null. */
  trailing(span: Span): string | null {
    const text = this.lines[this.line(Math.max(span.start, span.end - 1))] ?? '';
    const i = text.indexOf('#');
    if (i < 0 || text.slice(0, i).trim() === '') return null;
    return text.slice(i).trimEnd();
  }

  /** The first line of a statement without its comment (a declaration as the user wrote it). */
  code(span: Span): string {
    const text = this.lines[this.line(span.start)] ?? '';
    const i = text.indexOf('#');
    return (i < 0 ? text : text.slice(0, i)).trim();
  }

  /** The first line of a statement as written, comment included. */
  text(span: Span): string {
    return (this.lines[this.line(span.start)] ?? '').trim();
  }

  /**
   * The comment-only lines strictly between two lines, in order; a run of blank lines between
   * comments becomes one '' so paragraphs stay apart. Blank lines at either end are dropped.
   */
  between(afterLine: number, beforeLine: number): string[] {
    const out: string[] = [];
    for (let l = afterLine + 1; l < beforeLine; l++) {
      const t = (this.lines[l] ?? '').trim();
      if (t.startsWith('#')) out.push(t);
      else if (t === '' && out.length && out[out.length - 1] !== '') out.push('');
    }
    while (out.length && out[out.length - 1] === '') out.pop();
    return out;
  }

  get lineCount(): number {
    return this.lines.length;
  }
}
