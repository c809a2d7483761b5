// The one way GradLens prints a computed number for people: in diagnostic messages (the Problems
// panel), code lenses, hovers, the sidebar, the status bar, the dashboard and the CLI's tables. Pure
// (no vscode, no DOM, no Node), so the webview bundle imports it too.
//
// The rule: 4 significant digits; plain notation for magnitudes in [1e-3, 1e4), exponent notation
// with one digit fewer outside (`1.23e-7`, `-4.56e+4`); 0 is `0`; NaN and ±Infinity are `NaN`,
// `Infinity` and `-Infinity`; a missing number (null/undefined) is `—`. These are exactly the
// numbers the gradient-check messages have always printed (the CLI's `--json` output and the
// Analysis of every example are pinned by test/unit/output-snapshots.test.ts).
//
// A display that genuinely needs fewer digits passes `digits`; the switching rule stays the same.
// Parameters the user typed (the step h, the thresholds) are printed as given, `String(v)`, as the
// messages print them — not through this function.

/** Significant digits of the plain notation (the exponent notation shows one fewer). */
export const SIGNIFICANT_DIGITS = 4;
/** Smallest magnitude printed in plain notation. */
export const PLAIN_MIN = 1e-3;
/** Magnitudes from here on are printed in exponent notation. */
export const PLAIN_MAX = 1e4;

export interface NumberFormat {
  /** Significant digits in plain notation (default 4, at least 2); exponent notation shows one fewer. */
  digits?: number;
}

export function formatNumber(v: number | null | undefined, format: NumberFormat = {}): string {
  if (v === null || v === undefined) return '—';
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const digits = Math.min(21, Math.max(2, Math.round(format.digits ?? SIGNIFICANT_DIGITS)));
  const a = Math.abs(v);
  if (a >= PLAIN_MIN && a < PLAIN_MAX) return String(Number(v.toPrecision(digits)));
  return v.toExponential(digits - 2);
}
