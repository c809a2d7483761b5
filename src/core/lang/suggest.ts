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
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | null = null;
  let bestScore = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    const dist = editDistance(word, c);
    if (dist > limit) continue;
    const prefix = c.startsWith(word) || word.startsWith(c);
    const score = dist - (prefix ? 0.75 : 0);
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
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
