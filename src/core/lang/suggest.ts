// "Did you mean …?" suggestions by edit distance (with transpositions, so `rleu` finds `relu`).
import type { SpanFix } from '../diagnostics';
import type { Span } from '../text';

export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  if (Math.abs(m - n) > 3) return Math.abs(m - n);
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => {
    const row = new Array<number>(n + 1).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= n; j++) d[0][j] = j;
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0.5 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[m][n];
}

/**
 * The closest candidate within a distance that scales with the word's length, or null. Between
 * candidates as close, one that extends the word or that it extends (`b` → `b1`: a dropped suffix,
 * the usual slip) comes first; then the earlier candidate.
 */
export function closest(word: string, candidates: Iterable<string>): string | null {
  return nearby(word, candidates)[0] ?? null;
}

/**
 * Every candidate within the distance limit, best first (the order `closest` picks from): the
 * shape-aware suggestion of an undefined name re-ranks these by whether they make the expression
 * well-typed.
 */
export function nearby(word: string, candidates: Iterable<string>): string[] {
  const limit = Math.max(1, Math.floor(word.length / 3));
  const scored: { name: string; score: number; order: number }[] = [];
  let order = 0;
  for (const c of candidates) {
    if (c === word) continue;
    const dist = editDistance(word, c);
    if (dist > limit) continue;
    const prefix = c.startsWith(word) || word.startsWith(c);
    scored.push({ name: c, score: dist - (prefix ? 0.75 : 0), order: order++ });
  }
  scored.sort((a, b) => a.score - b.score || a.order - b.order);
  return [...new Set(scored.map((s) => s.name))];
}

/** " Did you mean `x`?" or "". */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c ? ` Did you mean \`${c}\`?` : '';
}

/**
 * The suggestion as a message suffix and as a fix that replaces the misspelt name (the editor's
 * quick fix, and the JSON's `fixes` for every other client).
 */
export function suggestion(word: string, candidates: Iterable<string>, span: Span): { text: string; clause: string; fixes?: SpanFix[] } {
  const c = closest(word, candidates);
  if (!c) return { text: '', clause: '.' };
  // `text` follows a full stop; `clause` ends a sentence itself ("… is not defined; did you mean `q`?").
  return { text: ` Did you mean \`${c}\`?`, clause: `; did you mean \`${c}\`?`, fixes: [{ title: `Change to \`${c}\``, edits: [{ span, newText: c }] }] };
}
