// Runs one fuzz input through the core and checks the properties every input must have: no
// exception escapes, no internal error, bounded time, deterministic output — also when the
// second run reuses gradient checks from a cache that every earlier input has warmed (the
// editor's incremental analysis must never change a result).
import { analyze, type AnalyzeOptions } from '../../src/core/analyze';
import { CheckCache } from '../../src/core/checks/checkCache';

const sharedCache = new CheckCache();

export const TIME_BOUND_MS = 5000;

/** Options that keep fuzz runs quick while exercising every stage (checks on small sizes). */
export const FUZZ_OPTIONS: AnalyzeOptions = { maxElements: 200_000, maxFlops: 2e8, gradcheck: { fullLimit: 50, samples: 5 } };

export interface FuzzOutcome {
  ms: number;
  problem: string | null;
}

function stable(a: ReturnType<typeof analyze>): string {
  return JSON.stringify({ ...a, timings: null });
}

export function fuzzOne(text: string, checkDeterminism = true): FuzzOutcome {
  const t0 = performance.now();
  let first: ReturnType<typeof analyze>;
  try {
    first = analyze(text, FUZZ_OPTIONS);
  } catch (e) {
    return { ms: performance.now() - t0, problem: `threw: ${e instanceof Error ? e.stack : String(e)}` };
  }
  const ms = performance.now() - t0;
  const internal = first.diagnostics.find((d) => d.code === 'internal-error');
  if (internal) return { ms, problem: `internal error: ${internal.message}` };
  if (ms > TIME_BOUND_MS) return { ms, problem: `took ${ms.toFixed(0)} ms (bound ${TIME_BOUND_MS} ms)` };
  if (checkDeterminism) {
    const again = analyze(text, { ...FUZZ_OPTIONS, checkCache: sharedCache });
    if (stable(again) !== stable(first)) return { ms, problem: 'not deterministic: a second run (with the shared check cache) gave a different result' };
  }
  return { ms, problem: null };
}
