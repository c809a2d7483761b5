// Finding nodes: by name from the search box, and by the editor's cursor (the node of the
// statement or expression under it). Pure, so it is unit-tested without a browser.
import type { Range, ViewNode } from '../../src/core/browser';

/** Nodes whose name (or label) matches the query: exact names first, then prefixes, then the rest. */
export function findNodes(nodes: readonly ViewNode[], query: string): ViewNode[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const scored: { n: ViewNode; score: number; i: number }[] = [];
  nodes.forEach((n, i) => {
    const name = (n.name ?? '').toLowerCase();
    const label = n.label.toLowerCase();
    let score = -1;
    if (name === q) score = 0;
    else if (label === q) score = 1;
    else if (name.startsWith(q)) score = 2;
    else if (label.startsWith(q)) score = 3;
    else if (name.includes(q) || label.includes(q)) score = 4;
    if (score >= 0) scored.push({ n, score, i });
  });
  return scored.sort((a, b) => a.score - b.score || a.i - b.i).map((s) => s.n);
}

const before = (a: Range['start'], b: Range['start']) => a.line < b.line || (a.line === b.line && a.character <= b.character);
const contains = (outer: Range, inner: Range) => before(outer.start, inner.start) && before(inner.end, outer.end);
const size = (r: Range) => (r.end.line - r.start.line) * 100_000 + (r.end.character - r.start.character);

/**
 * The node the editor's selection stands on: the smallest node range that holds the selection (a
 * click on `X @ W1` selects the product), else a node on the cursor's line, the named one (the
 * statement's result) first; null when nothing is drawn there.
 */
export function nodeAtSelection(nodes: readonly ViewNode[], sel: Range): ViewNode | null {
  const holding = nodes.filter((n) => contains(n.range, sel)).sort((a, b) => size(a.range) - size(b.range));
  if (holding.length) return holding[0];
  const line = sel.start.line;
  const onLine = nodes.filter((n) => n.range.start.line <= line && n.range.end.line >= line);
  return onLine.find((n) => n.name !== null && n.kind === 'op') ?? onLine.find((n) => n.name !== null) ?? onLine[onLine.length - 1] ?? null;
}
