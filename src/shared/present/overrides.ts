// Re-seed and Set Dimension Sizes override the file's `seed` and `dims` lines for the editor's
// analyses (and its exports) without editing the file; what they changed is shown where it acts:
// a note at the end of the `seed` / `dims` line, and the same in the status bar with the CLI
// command that reproduces what the editor shows.
import type { LineValue, Overrides } from '../serverProtocol';

/** The file's own `seed` and `dims` lines (0-based) and values, read from its text. */
export function declaredSettings(text: string): { seedLine: number | null; seed: number | null; dimsLine: number | null; dims: Record<string, number> } {
  const out = { seedLine: null as number | null, seed: null as number | null, dimsLine: null as number | null, dims: {} as Record<string, number> };
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '');
    const seed = /^\s*seed\s+(\d+)\s*$/.exec(line);
    if (seed && out.seedLine === null) {
      out.seedLine = i;
      out.seed = Number(seed[1]);
    }
    if (/^\s*dims\b/.test(line)) {
      out.dimsLine ??= i;
      for (const m of line.matchAll(/([A-Za-z_]\w*)\s*=\s*(\d+)/g)) out.dims[m[1]] = Number(m[2]);
    }
  });
  return out;
}

/** Whether anything is overridden. */
export function isOverridden(o: Overrides): boolean {
  return o.seed !== null || (o.dims !== null && Object.keys(o.dims).length > 0);
}

/** The overridden values in words: `seed = 7`, `N = 12, D = 3` (dims only where they differ from the file's). */
export function overrideParts(text: string, o: Overrides): { seed: string | null; dims: string | null } {
  const file = declaredSettings(text);
  const dims = Object.entries(o.dims ?? {}).filter(([k, v]) => file.dims[k] !== v);
  return {
    seed: o.seed !== null && o.seed !== file.seed ? `seed = ${o.seed}` : null,
    dims: dims.length ? dims.map(([k, v]) => `${k} = ${v}`).join(', ') : null,
  };
}

/** The notes at the line ends: on the `seed` line and the `dims` line (the first line when the file has none). */
export function overrideNotes(text: string, o: Overrides): LineValue[] {
  const file = declaredSettings(text);
  const parts = overrideParts(text, o);
  const byLine = new Map<number, string[]>();
  const add = (line: number | null, t: string | null) => {
    if (t === null) return;
    const at = line ?? 0;
    byLine.set(at, [...(byLine.get(at) ?? []), t]);
  };
  add(file.seedLine, parts.seed);
  add(file.dimsLine, parts.dims);
  return [...byLine.entries()].sort((a, b) => a[0] - b[0]).map(([line, t]) => ({ line, text: `overridden: ${t.join(', ')} — reset` }));
}

/** `gradlens check` with the flags that give what the editor shows. */
export function cliCommand(fileName: string, o: Overrides): string {
  const quoted = /^[\w./-]+$/.test(fileName) ? fileName : `'${fileName.replace(/'/g, `'\\''`)}'`;
  const flags = [...(o.seed !== null ? [`--seed ${o.seed}`] : []), ...Object.entries(o.dims ?? {}).map(([k, v]) => `--dim ${k}=${v}`)];
  return ['gradlens check', quoted, ...flags].join(' ');
}
