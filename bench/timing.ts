// Timing GradLens against its peer in one run: warm-up on both sides, then rounds that alternate
// GradLens' repetitions and the peer's at each thread count, so that background load hits both
// alike. The pass rows (run.ts) and the examples row (examples.ts) time themselves through it.
import type { PeerAnswer } from './peer';

export function timeOnce(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

/** Repetitions per round so that one round takes about `budgetMs`, within [lo, hi]. */
export function repsFor(estimateMs: number, budgetMs: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, Math.round(budgetMs / Math.max(estimateMs, 1e-3))));
}

export interface AlternatingOptions {
  rounds: number;
  /** About how long each side's share of a round takes, ms. */
  budgetMs: number;
  /** Warm-up of each side, ms (the JIT, the wasm tier-up, the allocator). */
  warmMs: number;
  /** At most this many repetitions of a side a round. */
  maxReps: number;
}

export interface Alternated {
  /** GradLens' time and CPU time per repetition. */
  gradlens: number[];
  gradlensCpu: number[];
  /** The peer's times per repetition at each thread count, and its CPU times on 1 thread. */
  peer: Map<number, number[]>;
  peerCpu: number[];
  /** The peer's last answer (its loss and facts), null without a peer. */
  peerInfo: PeerAnswer | null;
}

/**
 * Times `run` and, through `ask` (null: no peer), the peer at each of `threads`, in rounds that
 * alternate the two. `ask` sends one timing request ({ reps, warmup, threads }) and returns its answer.
 */
export async function timeAlternating(run: () => void, ask: ((req: Record<string, unknown>) => Promise<PeerAnswer>) | null, threads: readonly number[], o: AlternatingOptions): Promise<Alternated> {
  // By time, on both sides: V8 needs hundreds of runs of a fast workload before its optimizing tier
  // has all of it (three runs left the 1 ms gradient check measuring partly unoptimized code in its first round).
  let est = Infinity;
  const warmUntil = performance.now() + o.warmMs;
  for (let n = 0; n < 3 || performance.now() < warmUntil; n++) est = Math.min(est, timeOnce(run));
  const gReps = repsFor(est, o.budgetMs, 2, o.maxReps);
  const pReps = new Map<number, number>();
  if (ask) {
    for (const t of threads) {
      const first = await ask({ reps: 3, warmup: 2, threads: t });
      const pEst = Math.min(...(first.times_ms as number[]));
      await ask({ reps: 1, warmup: repsFor(pEst, o.warmMs, 1, 1000), threads: t });
      pReps.set(t, repsFor(pEst, o.budgetMs, 2, o.maxReps));
    }
  }
  const out: Alternated = { gradlens: [], gradlensCpu: [], peer: new Map(), peerCpu: [], peerInfo: null };
  for (let r = 0; r < o.rounds; r++) {
    for (let i = 0; i < gReps; i++) {
      const c0 = process.cpuUsage();
      out.gradlens.push(timeOnce(run));
      const c = process.cpuUsage(c0);
      out.gradlensCpu.push((c.user + c.system) / 1000);
    }
    for (const [t, reps] of pReps) {
      const a = await (ask as NonNullable<typeof ask>)({ reps, warmup: 1, threads: t });
      out.peer.set(t, [...(out.peer.get(t) ?? []), ...(a.times_ms as number[])]);
      if (t === 1) out.peerCpu.push(...((a.cpu_ms as number[] | undefined) ?? []));
      out.peerInfo = a;
    }
  }
  return out;
}
