// Folding ranges: gates and backward blocks (their `}` stays visible), runs of two or more comment
// lines, and brackets that span lines (a matrix written one row per line, a long call).
import { ideDocument } from './document';

export interface FoldingRange {
  startLine: number;
  endLine: number;
  kind?: 'comment' | 'region';
}

export function foldingRanges(text: string): FoldingRange[] {
  const doc = ideDocument(text);
  const out: FoldingRange[] = [];
  const line = (offset: number) => doc.position(offset).line;
  /** The last line to hide: the closer's line, or the one before when the closer starts its line. */
  const lastLine = (closeStart: number) => {
    const l = line(closeStart);
    return /^[ \t]*$/.test(text.slice(doc.lineMap.lineStart(closeStart), closeStart)) ? l - 1 : l;
  };
  const add = (startLine: number, endLine: number, kind?: FoldingRange['kind']) => {
    if (endLine > startLine) out.push(kind ? { startLine, endLine, kind } : { startLine, endLine });
  };

  for (const b of doc.blocks) {
    if (!b.close) continue;
    const head = b.kind === 'gate' ? (b.gate?.span.start ?? b.open.start) : (b.gate?.backward?.keywordSpan.start ?? b.open.start);
    add(line(head), lastLine(b.close.start), 'region');
  }

  const stack: number[] = [];
  for (const t of doc.tokens) {
    if (t.kind !== 'punct') continue;
    if (t.text === '(' || t.text === '[') stack.push(t.span.start);
    else if ((t.text === ')' || t.text === ']') && stack.length) add(line(stack.pop() as number), lastLine(t.span.start));
    else if (t.text === '{' || t.text === '}') stack.length = 0;
  }

  // Comment runs: consecutive lines that hold only a comment.
  let runStart = -1;
  const lines = text.split(/\r\n|\r|\n/);
  lines.forEach((l, i) => {
    const isComment = /^[ \t]*#/.test(l);
    if (isComment && runStart < 0) runStart = i;
    if (!isComment && runStart >= 0) {
      add(runStart, i - 1, 'comment');
      runStart = -1;
    }
  });
  if (runStart >= 0) add(runStart, lines.length - 1, 'comment');

  out.sort((a, b) => a.startLine - b.startLine || b.endLine - a.endLine);
  return out.filter((r, i) => i === 0 || r.startLine !== out[i - 1].startLine || r.endLine !== out[i - 1].endLine);
}
