// The floor GradLens' matrix-product kernel sets under a workload: the products of one run
// recorded (sizes, strides, accumulation) and replayed alone, each on buffers of its own with the
// same strides, through the same `gemm` (so the same kernel, packing and thread split; gemmPair's
// pairs as pairs, one product on each core). The run shares some operands between products (X in
// the forward and the backward product), so its caches behave a little differently: a close
// estimate, not an exact bound. Where this floor is near or above the peer's whole pass, the row's
// ratio is the kernel's ceiling, not overhead. Operands the run had resident in the kernel's memory
// (tensor/resident.ts) are resident in the replay: the floor copies what the run copies, no more.
// Under it, the ceiling of the arithmetic itself: the same products at the kernel's peak loop (its
// multiply-adds with no memory traffic), on both cores for the products large enough to be split
// and for the pairs, which no packing, copy or overhead could beat.
import { belowSplitting } from '../src/core/tensor/gemmThreads';
import { gemm, gemmPair, gemmPeak, gemmThreads, observeGemm, residentArena, type GemmArgs, type GemmCall } from '../src/core/tensor/matmul';
import { median, values } from './workloads';

export interface GemmFloor {
  /** Products in one run. */
  calls: number;
  /** Their floating-point operations (2·M·N·K each), in GFLOP. */
  gflop: number;
  /** Median time of the products alone, ms. */
  ms: number;
  /**
   * The products alone ÷ the whole run, the median of rounds that alternate the two (the same
   * moments of a shared machine for both: the floor's times alone move with its load).
   */
  share: number;
  /** The kernel's peak loop, GFLOP/s on one core (the best of several timings); null without one. */
  peakGflops: number | null;
  /** The products at that rate (twice it for those split over two threads), ms: the arithmetic's ceiling. */
  ceilingMs: number | null;
}

interface Replay {
  call: GemmCall;
  A: Float64Array;
  B: Float64Array;
  C: Float64Array;
}

/** Entries of an operand read at offset 0 with these strides over `rows` × `cols`. */
const extent = (rows: number, cols: number, rs: number, cs: number) => (rows - 1) * rs + (cols - 1) * cs + 1;

/** Records the products of one call of `run`, then times them alone (median of repetitions within ~`budgetMs`). */
export function gemmFloor(run: () => void, budgetMs = 300): GemmFloor {
  const calls: GemmCall[] = [];
  observeGemm((c) => calls.push(c));
  try {
    run();
  } finally {
    observeGemm(null);
  }
  // An operand the run had resident in the kernel's memory is resident in the replay too (no copy).
  const arena = residentArena();
  const blocks: Float64Array[] = [];
  const place = (data: Float64Array, resident: boolean): Float64Array => {
    const block = resident ? arena?.copyOf(data) : null;
    if (!block) return data;
    blocks.push(block);
    return block;
  };
  const replays: Replay[] = calls.map((call) => ({
    call,
    A: place(values(extent(call.M, call.K, call.ars, call.acs)), call.resident[0]),
    B: place(values(extent(call.K, call.N, call.brs, call.bcs)), call.resident[1]),
    C: place(new Float64Array(call.M * call.N), call.resident[2]),
  }));
  try {
    const floor = timeReplays(run, calls, replays, budgetMs);
    const peak = peakGflops(budgetMs / 4);
    const cores = (c: GemmCall) => (gemmThreads() === 2 && !belowSplitting(c.M * c.N * c.K) ? 2 : 1);
    const atPeak = (c: GemmCall) => (peak === null ? 0 : (2 * c.M * c.N * c.K) / (peak * 1e6 * cores(c)));
    // A pair's two products run at once, one on each core (gemmPair): the longer one's time.
    const ceilingMs = peak === null ? null : calls.reduce((s, c, i) => (c.paired === 'helper' ? s : s + (c.paired === 'here' && calls[i + 1]?.paired === 'helper' ? Math.max(atPeak(c), atPeak(calls[i + 1])) : atPeak(c))), 0);
    return { ...floor, peakGflops: peak, ceilingMs };
  } finally {
    for (const b of blocks) arena?.release(b);
  }
}

/** The best GFLOP/s of the kernel's peak loop over ~`budgetMs` (the best: the core's own rate, the others slowed by the machine's other work). */
function peakGflops(budgetMs: number): number | null {
  if (gemmPeak(1) === null) return null;
  const rounds = 20000;
  let best = 0;
  const until = performance.now() + budgetMs;
  do {
    const t0 = performance.now();
    const flops = gemmPeak(rounds) as number;
    best = Math.max(best, flops / ((performance.now() - t0) * 1e6));
  } while (performance.now() < until);
  return best;
}

function argsOf({ call: c, A, B, C }: Replay): GemmArgs {
  return { M: c.M, N: c.N, K: c.K, A, aOff: 0, ars: c.ars, acs: c.acs, B, bOff: 0, brs: c.brs, bcs: c.bcs, C, cOff: 0, accumulate: c.accumulate };
}

function timeReplays(run: () => void, calls: GemmCall[], replays: Replay[], budgetMs: number): Omit<GemmFloor, 'peakGflops' | 'ceilingMs'> {
  const once = () => {
    const t0 = performance.now();
    for (let i = 0; i < replays.length; i++) {
      const { call: c, A, B, C } = replays[i];
      const next = replays[i + 1];
      // gemmPair's two products as a pair again (the second on the helper while this thread computes the first).
      if (c.paired === 'here' && next?.call.paired === 'helper') {
        gemmPair(argsOf(replays[i]), argsOf(next));
        i++;
      } else gemm(c.M, c.N, c.K, A, 0, c.ars, c.acs, B, 0, c.brs, c.bcs, C, 0, c.accumulate);
    }
    return performance.now() - t0;
  };
  // Warm-up, as the rows' own: the kernel's tier-up and its workspace.
  const warmUntil = performance.now() + budgetMs / 2;
  while (performance.now() < warmUntil) once();
  const times: number[] = [];
  const shares: number[] = [];
  const until = performance.now() + budgetMs;
  while (times.length < 5 || performance.now() < until) {
    const alone = once();
    const t0 = performance.now();
    run();
    times.push(alone);
    shares.push(alone / (performance.now() - t0));
  }
  const gflop = calls.reduce((s, c) => s + 2 * c.M * c.N * c.K, 0) / 1e9;
  return { calls: calls.length, gflop, ms: median(times), share: median(shares) };
}
