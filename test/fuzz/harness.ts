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

/**
 * Options for inputs grown towards the limits (generators.ts: grown): the editor's element limit
 * (the memory plan is what is under test) and a smaller operation budget (about 1 s of work), so
 * that a run past the time bound means the cost model underestimated it.
 */
export const GROWN_OPTIONS: AnalyzeOptions = { maxFlops: 1e9, gradcheck: { fullLimit: 50, samples: 5, maxFlopsTotal: 2e8 } };

/** The time bound of a grown input: ten times its operation budget's worth (the unbudgeted stages — parsing, lowering — included). */
export const GROWN_TIME_BOUND_MS = 10_000;

export interface FuzzOutcome {
  /** Wall-clock time of the first run. */
  ms: number;
  /** CPU time of the process during the first run (all its threads): the work the input took. */
  cpuMs: number;
  problem: string | null;
}

/** CPU time of the process since `since` (user + system, every thread), in ms. */
function cpuSince(since: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
}

function stable(a: ReturnType<typeof analyze>): string {
  return JSON.stringify({ ...a, timings: null });
}

/** A grown input (towards the limits): its own options and time bound. */
export function fuzzGrown(text: string, checkDeterminism = false): FuzzOutcome {
  return fuzzOne(text, checkDeterminism, GROWN_OPTIONS, GROWN_TIME_BOUND_MS);
}

export function fuzzOne(text: string, checkDeterminism = true, options: AnalyzeOptions = FUZZ_OPTIONS, boundMs = TIME_BOUND_MS): FuzzOutcome {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let first: ReturnType<typeof analyze>;
  try {
    first = analyze(text, options);
  } catch (e) {
    return { ms: performance.now() - t0, cpuMs: cpuSince(c0), problem: `threw: ${e instanceof Error ? e.stack : String(e)}` };
  }
  const ms = performance.now() - t0;
  const cpuMs = cpuSince(c0);
  const internal = first.diagnostics.find((d) => d.code === 'internal-error');
  if (internal) return { ms, cpuMs, problem: `internal error: ${internal.message}` };
  // The bound is on the work an input takes (CPU time), not on the machine's load: on a shared
  // machine at a load of 10, a second of work takes 20 s of wall-clock time.
  if (cpuMs > boundMs) return { ms, cpuMs, problem: `took ${cpuMs.toFixed(0)} ms of CPU, ${ms.toFixed(0)} ms wall (bound ${boundMs} ms of CPU)` };
  if (checkDeterminism) {
    const again = analyze(text, { ...options, checkCache: sharedCache });
    if (stable(again) !== stable(first)) return { ms, cpuMs, problem: 'not deterministic: a second run (with the shared check cache) gave a different result' };
  }
  return { ms, cpuMs, problem: null };
}
