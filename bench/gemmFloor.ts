// The floor GradLens' matrix-product kernel sets under a workload: the products of one run
// recorded (sizes, strides, accumulation) and replayed alone, each on buffers of its own with the
// same strides, through the same `gemm` (so the same kernel, packing and thread split). The run
// shares some operands between products (X in the forward and the backward product), so its caches
// behave a little differently: a close estimate, not an exact bound. Where this floor is near or
// above the peer's whole pass, the row's ratio is the kernel's ceiling, not overhead. Operands the
// run had resident in the kernel's memory (tensor/resident.ts) are resident in the replay: the
// floor copies what the run copies, no more.
import { gemm, observeGemm, residentArena, type GemmCall } from '../src/core/tensor/matmul';
import { values } from './workloads';

export interface GemmFloor {
  /** Products in one run. */
  calls: number;
  /** Their floating-point operations (2·M·N·K each), in GFLOP. */
  gflop: number;
  /** Median time of the products alone, ms. */
  ms: number;
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
    return timeReplays(calls, replays, budgetMs);
  } finally {
    for (const b of blocks) arena?.release(b);
  }
}

function timeReplays(calls: GemmCall[], replays: Replay[], budgetMs: number): GemmFloor {
  const once = () => {
    const t0 = performance.now();
    for (const { call: c, A, B, C } of replays) gemm(c.M, c.N, c.K, A, 0, c.ars, c.acs, B, 0, c.brs, c.bcs, C, 0, c.accumulate);
    return performance.now() - t0;
  };
  // Warm-up, as the rows' own: the kernel's tier-up and its workspace.
  const warmUntil = performance.now() + budgetMs / 2;
  while (performance.now() < warmUntil) once();
  const times: number[] = [];
  const until = performance.now() + budgetMs;
  while (times.length < 5 || performance.now() < until) times.push(once());
  times.sort((a, b) => a - b);
  const gflop = calls.reduce((s, c) => s + 2 * c.M * c.N * c.K, 0) / 1e9;
  return { calls: calls.length, gflop, ms: (times[(times.length - 1) >> 1] + times[times.length >> 1]) / 2 };
}
