// The reference workloads of issue 7 as .grad programs, and what exactly is timed for each. Each
// program is what a user would write; the PyTorch peer (bench/torch_peer.py) computes the same
// function from the same leaf values.
import { installResidentLeaves } from '../src/core/engine/residentLeaves';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze, analyzeSession, type AnalysisSession } from '../src/core/analyze';
import { CheckCache } from '../src/core/checks/checkCache';
import { DEFAULT_GRADCHECK, type GradCheckOptions, type SpanCheck } from '../src/core/checks/gradcheck';
import { checkTensors } from '../src/core/checks/tensorChecks';
import type { Graph } from '../src/core/engine/graph';
import type { Execution } from '../src/core/engine/run';
import { gemmArithmetic, gemmNN, gemmPeak, gemmTileLoop, gemmTN, residentArena, setGemmThreads, splitProducts, type GemmArithmetic } from '../src/core/tensor/matmul';
import type { Tensor } from '../src/core/tensor/tensor';
import type { Span } from '../src/core/text';
import { prepareDebugStep } from './debugStep';

/** The cs231n two-layer net: affine → relu → affine → softmax loss + L2 on both weights. */
export function mlp2(N: number, D = 3072, H = 100, C = 10, opts: { constX?: boolean } = {}): string {
  return `seed 1
dims N = ${N}, D = ${D}, H = ${H}, C = ${C}
${opts.constX ? 'const' : 'input'} X: [N, D]
input y: int[N] in 0..C
param W1: [D, H] ~ he
param b1: [H] ~ normal(0.01)
param W2: [H, C] ~ xavier
param b2: [C] ~ normal(0.01)
const reg = 1e-3

h1     = relu(X @ W1 + b1)
scores = h1 @ W2 + b2
loss   = softmax_ce(scores, y) + reg * (l2(W1) + l2(W2))
`;
}

/** conv 16 3×3 pad 1 → relu → pool → conv 32 3×3 pad 1 → relu → pool → affine → softmax loss. */
export function convnet(N = 8): string {
  return `seed 2
dims N = ${N}, C = 3, S = 32, F1 = 16, F2 = 32, M = 2048, Y = 10

input x: [N, C, S, S]
input y: int[N] in 0..Y
param w1: [F1, C, 3, 3] ~ he
param c1: [F1] ~ normal(0.01)
param w2: [F2, F1, 3, 3] ~ he
param c2: [F2] ~ normal(0.01)
param W: [M, Y] ~ xavier
param b: [Y] ~ normal(0.01)

a1     = relu(conv2d(x, w1, c1, stride=1, pad=1))
p1     = max_pool2d(a1, size=2, stride=2)
a2     = relu(conv2d(p1, w2, c2, stride=1, pad=1))
p2     = max_pool2d(a2, size=2, stride=2)
scores = reshape(p2, [N, M]) @ W + b
loss   = softmax_ce(scores, y)
`;
}

/** A vanilla RNN over T steps with a softmax loss on the last hidden state. */
export function rnn(T = 32, N = 8, D = 32, H = 64, C = 10): string {
  return `seed 3
dims T = ${T}, N = ${N}, D = ${D}, H = ${H}, C = ${C}

input x: [T, N, D]
input y: int[N] in 0..C
param h0: [N, H] ~ normal(0.1)
param Wx: [D, H] ~ xavier
param Wh: [H, H] ~ xavier
param b: [H] ~ normal(0.01)
param Wy: [H, C] ~ xavier

hs     = rnn(x, h0, Wx, Wh, b)
scores = hs[-1] @ Wy
loss   = softmax_ce(scores, y)
`;
}

/**
 * A pre-norm transformer block: x + multihead_attention(layernorm(x)) (causal), then
 * a + mlp(layernorm(a)) with a gelu MLP of width 4·D; mse loss against a target.
 */
export function transformer(N = 8, T = 16, D = 64, heads = 4): string {
  return `seed 5
dims N = ${N}, T = ${T}, D = ${D}, F = ${4 * D}

input x: [N, T, D]
input target: [N, T, D]
param g1: [D] ~ uniform(0.5, 1.5)
param b1: [D] ~ normal(0.1)
param g2: [D] ~ uniform(0.5, 1.5)
param b2: [D] ~ normal(0.1)
param Wq: [D, D] ~ xavier
param Wk: [D, D] ~ xavier
param Wv: [D, D] ~ xavier
param Wo: [D, D] ~ xavier
param W1: [D, F] ~ he
param c1: [F] ~ normal(0.01)
param W2: [F, D] ~ xavier
param c2: [D] ~ normal(0.01)

a    = x + multihead_attention(layernorm(x, g1, b1), Wq, Wk, Wv, Wo, ${heads}, causal=true)
y    = a + gelu(layernorm(a, g2, b2) @ W1 + c1) @ W2 + c2
loss = mse(y, target)
`;
}

/** `layers` affine+relu layers of width W on a batch of N, then a softmax loss over the W units. */
export function deep(layers = 50, N = 32, W = 64): string {
  const lines = [`seed 4`, `dims N = ${N}, W = ${W}`, ``, `input X: [N, W]`, `input y: int[N] in 0..W`];
  for (let i = 1; i <= layers; i++) lines.push(`param W${i}: [W, W] ~ he`, `param b${i}: [W] ~ normal(0.01)`);
  lines.push('');
  for (let i = 1; i <= layers; i++) lines.push(`h${i} = relu(${i === 1 ? 'X' : `h${i - 1}`} @ W${i} + b${i})`);
  lines.push(`loss = softmax_ce(h${layers}, y)`, '');
  return lines.join('\n');
}

/**
 * A generated file of `statements` statements for parse + shape inference: blocks of a small
 * two-layer net with its own dims-derived shapes, so every line is inferred.
 */
export function parseShapes(statements = 5000): string {
  const lines = ['seed 0', 'dims N = 4, D = 8, H = 6, C = 3', ''];
  let count = 2;
  let block = 0;
  // Each block: 5 declarations + 4 assignments + 1 expect = 10 statements.
  while (count + 10 <= statements - 1) {
    const s = `_${block}`;
    lines.push(
      `input X${s}: [N, D]`,
      `param W${s}: [D, H] ~ he`,
      `param b${s}: [H] = 0`,
      `param V${s}: [H, C] ~ xavier`,
      `param c${s}: [C] = 0`,
      `h${s} = relu(X${s} @ W${s} + b${s})`,
      `s${s} = h${s} @ V${s} + c${s}`,
      `p${s} = softmax(s${s}, axis=1)`,
      `r${s} = sum(p${s} * s${s}) + mean(h${s}.T @ h${s})`,
      `expect shape s${s} == [N, C]`,
    );
    count += 10;
    block++;
  }
  while (count < statements - 1) {
    lines.push(`const k${count} = ${count}`);
    count++;
  }
  // The backward root must be the last assignment.
  lines.push(block > 0 ? 'total = r_0' : 'total = 0');
  return lines.join('\n') + '\n';
}

/** Number of statements in a generated parse-shapes file (every non-blank line is one). */
export function statementCount(text: string): number {
  return text.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#')).length;
}

// ------------------------------------------------------------------ the suite

export type Family = 'mlp2' | 'convnet' | 'rnn' | 'transformer' | 'deep' | 'examples' | 'gradcheck-full' | 'gradcheck-fast' | 'gradcheck-sampled' | 'parse-shapes' | 'edit-latency' | 'reanalysis' | 'completion' | 'debug-step' | 'gemm-kernel';

/** An example file (bench/bench.mjs runs the bundle from bench/tmp and says where bench/ is). */
function example(name: string): string {
  return readFileSync(join(process.env.GRADLENS_BENCH_DIR ?? __dirname, '..', 'examples', name), 'utf8');
}

/** How each repetition of a reanalysis workload edits the file (a new text every time). */
const REANALYSIS_EDITS: Record<string, (text: string, i: number) => string> = {
  'reanalysis-comment': (text, i) => `# note ${i}\n${text}`,
  'reanalysis-loss-edit': (text, i) => text.replace('@ W2, y)', `@ W2, y) + ${i + 1}e-9 * l2(W2)`),
};

export interface WorkloadDef {
  name: string;
  family: Family;
  /** What is timed, in words (results.md). */
  what: string;
  /** The .grad program (none for edit-latency, which edits examples/two-layer-net.grad). */
  text: string | null;
  /** 'torch' when PyTorch runs the same workload, 'numpy' for the hand-written NumPy version. */
  peer: 'torch' | 'numpy' | null;
  /** With a peer: the largest allowed ratio GradLens/peer; without: the largest allowed ms. */
  target: number | null;
  /** For the scaling table: the unit of work and how many of them this workload does. */
  unit?: { name: string; count: number; group: 'mlp2' | 'deep' };
  /** Extra fields for the peer's manifest. */
  manifest?: Record<string, number | string>;
}

export const GRADCHECK_H = 1e-5;

export const WORKLOADS: WorkloadDef[] = [
  { name: 'mlp2', family: 'mlp2', what: 'forward+backward, N=64 D=3072 H=100 C=10, softmax loss + L2', text: mlp2(64), peer: 'torch', target: 1, unit: { name: 'example', count: 64, group: 'mlp2' } },
  { name: 'convnet', family: 'convnet', what: 'forward+backward, N=8 3×32×32, conv16-relu-pool-conv32-relu-pool-affine, softmax loss', text: convnet(8), peer: 'torch', target: 1 },
  { name: 'rnn', family: 'rnn', what: 'forward+backward, T=32 N=8 D=32 H=64, softmax loss on the last state', text: rnn(), peer: 'torch', target: 1 },
  {
    name: 'transformer',
    family: 'transformer',
    what: 'forward+backward of a pre-norm transformer block, N=8 T=16 D=64, 4 heads (causal), gelu MLP of width 256, mse loss; the peer uses F.multi_head_attention_forward',
    text: transformer(),
    peer: 'torch',
    target: 1,
    manifest: { heads: 4 },
  },
  { name: 'deep', family: 'deep', what: 'forward+backward, 50 affine+relu layers of width 64, N=32, softmax loss', text: deep(50), peer: 'torch', target: 1, unit: { name: 'layer', count: 50, group: 'deep' }, manifest: { layers: 50 } },
  {
    name: 'gradcheck-full',
    family: 'gradcheck-full',
    what: 'every entry of every param (421) of a 2-layer net N=8 D=20 H=16 C=5, h=1e-5; torch.autograd.gradcheck on the same function',
    text: mlp2(8, 20, 16, 5, { constX: true }),
    peer: 'torch',
    target: 1 / 20,
    manifest: { h: GRADCHECK_H },
  },
  {
    name: 'gradcheck-fast',
    family: 'gradcheck-fast',
    what: 'fast mode (gradlens check --fast) on every param of mlp2 (N=64 D=3072 H=100 C=10, 308,310 entries), h=1e-5: one projection vᵀJu per tensor; torch.autograd.gradcheck(fast_mode=True) on the same function',
    text: mlp2(64, 3072, 100, 10, { constX: true }),
    peer: 'torch',
    target: 1 / 5,
    manifest: { h: GRADCHECK_H, fast_mode: 1 },
  },
  { name: 'mlp2-numpy', family: 'mlp2', what: 'mlp2 against NumPy: a hand-written cs231n-style forward and backward (what students run), same sizes and leaves', text: mlp2(64), peer: 'numpy', target: null, unit: undefined },
  { name: 'deep-numpy', family: 'deep', what: 'deep against NumPy: a hand-written forward and backward loop over the 50 layers', text: deep(50), peer: 'numpy', target: null, manifest: { layers: 50 } },
  { name: 'gradcheck-sampled', family: 'gradcheck-sampled', what: 'forward+backward and the default sampled check of mlp2 (≤1000 entries whole, else 40 samples and, with fast mode auto, one projection; every tensor)', text: mlp2(64), peer: null, target: null },
  { name: 'parse-shapes', family: 'parse-shapes', what: 'parse + names + shape inference of a generated 5,000-statement file', text: parseShapes(5000), peer: null, target: 50 },
  {
    name: 'completion',
    family: 'completion',
    what: 'completion p95 on a generated 5,000-statement file, 200 requests at random offsets, each after a keystroke (a text the server has not parsed yet): src/core/ide as the language server runs it',
    text: null,
    peer: null,
    target: 50,
  },
  { name: 'edit-latency', family: 'edit-latency', what: 'keystroke → the new values at the line ends (the default display) in code-server on examples/two-layer-net.grad (median of 20 edits)', text: null, peer: null, target: 150 },
  {
    name: 'edit-latency-deep',
    family: 'edit-latency',
    what: 'keystroke → the new values at the line ends in code-server on a 30-layer affine+relu net whose gradient checks take seconds (test/fixtures/deepNet.ts; median of 20 edits)',
    text: null,
    peer: null,
    target: 150,
  },
  {
    name: 'edit-latency-deep-control',
    family: 'edit-latency',
    what: "control for edit-latency-deep: keystroke → new texts at the 103 line ends of a plain-text copy of the 30-layer net, set in the edit's own event by an extension with no analysis behind them (bench/lens-probe; same harness and keystrokes) — VS Code's own floor for that many changed line-end texts",
    text: null,
    peer: null,
    target: null,
  },
  { name: 'edit-latency-lens', family: 'edit-latency', what: 'keystroke → updated value lenses (setting gradlens.codeLens.values) in code-server on examples/two-layer-net.grad (median of 20 edits)', text: null, peer: null, target: 150 },
  {
    name: 'edit-latency-control',
    family: 'edit-latency',
    what: "control for edit-latency-lens: keystroke → updated code lens of a provider that answers at once (bench/lens-probe, in a plain-text file, same harness and keystrokes) — VS Code's own floor",
    text: null,
    peer: null,
    target: null,
  },
  {
    name: 'reanalysis-comment',
    family: 'reanalysis',
    what: 'the whole analysis (parse … gradient checks) of examples/conv-gate.grad after a comment is typed, with the check cache the editor\'s worker keeps (a new edit per repetition)',
    text: example('conv-gate.grad'),
    peer: null,
    target: null,
  },
  {
    name: 'reanalysis-loss-edit',
    family: 'reanalysis',
    what: 'the same after the loss line (below the gate) is edited: the gate\'s check is reused, the param/input checks re-run',
    text: example('conv-gate.grad'),
    peer: null,
    target: null,
  },
  {
    name: 'gemm-kernel',
    family: 'gemm-kernel',
    what: "one product of each reference GEMM shape through gemm(), its operands in the kernel's memory as these shapes' products run in the reference loops (and again copied in from the JavaScript heap and out, a second set of figures): mlp2's X·W1 64×3072 @ 3072×100 and dW1 = Xᵀ·dH 3072×64 @ 64×100, deep's 32×64 @ 64×64, and 512²; the notes give each shape's GFLOP/s on one thread (per CPU second) against the kernel's own arithmetic with no memory traffic (a peak loop), the kernel's tile loop on operands that stay in the L1 cache against the same peak loop (the most a product reaches: what a shape loses below it is memory, packing and copies), and each shape's GFLOP/s per wall second on 1 and 2 threads (paired rounds, alternating)",
    text: '',
    peer: null,
    target: null,
  },
  {
    name: 'debug-step',
    family: 'debug-step',
    what: 'one debugger step on the 50-layer net (deep): a DAP `next` (or `stepBack`) answered by the adapter in process — response, dashboard event and stopped event — then the stackTrace, scopes and Locals variables a client asks at each stop',
    text: deep(50),
    peer: null,
    target: 50,
  },
  { name: 'mlp2-N8', family: 'mlp2', what: 'mlp2 at N=8 (scaling; overhead-bound, issue 17 target ≤ 1.0×)', text: mlp2(8), peer: 'torch', target: 1, unit: { name: 'example', count: 8, group: 'mlp2' } },
  { name: 'mlp2-N512', family: 'mlp2', what: 'mlp2 at N=512 (scaling)', text: mlp2(512), peer: 'torch', target: 1, unit: { name: 'example', count: 512, group: 'mlp2' } },
  { name: 'deep-10', family: 'deep', what: 'deep with 10 layers (scaling; overhead-bound, issue 17 target ≤ 1.0×)', text: deep(10), peer: 'torch', target: 1, unit: { name: 'layer', count: 10, group: 'deep' }, manifest: { layers: 10 } },
  {
    name: 'examples',
    family: 'examples',
    what: "forward+backward of every example in examples/ at its own sizes, against the PyTorch script `gradlens export --torch` writes for it (its network section and loss.backward()); the row shows the slowest example, the note every one (bench/examples.ts)",
    text: null,
    peer: 'torch',
    target: 1,
  },
  { name: 'deep-200', family: 'deep', what: 'deep with 200 layers (scaling)', text: deep(200), peer: 'torch', target: 1, unit: { name: 'layer', count: 200, group: 'deep' }, manifest: { layers: 200 } },
];

export function workload(name: string): WorkloadDef {
  const w = WORKLOADS.find((x) => x.name === name);
  if (!w) throw new Error(`unknown workload ${name} (known: ${WORKLOADS.map((x) => x.name).join(', ')})`);
  return w;
}

/** A workload ready to time: `run` does one repetition of exactly what is measured. */
export interface Prepared {
  run(): void;
  session: AnalysisSession | null;
  /** The root's value after `run` (null when the workload has no single loss). */
  loss(): number | null;
  /** Facts about the last run for the notes (entries checked, verdicts). */
  facts(): Record<string, number | string>;
  /** Hands back what the workload holds in the kernel's memory (its resident results and leaves). */
  dispose?(): void;
}

export function prepare(def: WorkloadDef): Prepared {
  const text = def.text;
  if (text === null) throw new Error(`${def.name} is not run in-process`);
  if (def.family === 'parse-shapes') {
    let last: AnalysisSession | null = null;
    return {
      run: () => {
        last = analyzeSession(text, { shapesOnly: true });
      },
      session: null,
      loss: () => null,
      facts: () => ({ statements: statementCount(text), lines: text.split('\n').length - 1, errors: last ? last.analysis.diagnostics.filter((d) => d.severity === 'error').length : -1 }),
    };
  }
  if (def.family === 'reanalysis') return prepareReanalysis(def.name, text);
  if (def.family === 'gemm-kernel') return prepareGemmKernel();
  if (def.family === 'debug-step') {
    const d = prepareDebugStep(text);
    return { run: d.run, session: null, loss: () => null, facts: d.facts };
  }
  const session = analyzeSession(text, { gradcheck: false });
  const errors = session.analysis.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(`${def.name}: the program has errors: ${errors.map((d) => d.message).join('; ')}`);
  const graph = session.graph as Graph;
  const ex = session.execution as Execution;
  const root = graph.root as number;
  const loss = () => (ex.values[root] as Tensor).item();
  if (def.family === 'gradcheck-full' || def.family === 'gradcheck-sampled' || def.family === 'gradcheck-fast') {
    const opts: GradCheckOptions =
      def.family === 'gradcheck-full'
        ? { ...DEFAULT_GRADCHECK, h: GRADCHECK_H, fullLimit: Infinity, maxFlopsTotal: Infinity }
        : def.family === 'gradcheck-fast'
          ? { ...DEFAULT_GRADCHECK, h: GRADCHECK_H, fast: 'on' }
          : { ...DEFAULT_GRADCHECK, h: GRADCHECK_H };
    const spans = new Map<string, Span>();
    let checks: SpanCheck[] = [];
    // As the language server's checks lane (documentAnalyses.ts: recycleResults): a run takes the
    // buffers of the last one's values and gradients instead of fresh memory each time, those that
    // products touch, and the leaves they read, resident in the kernels' memory (the worker's pool).
    const dispose = runResident(ex, graph);
    return {
      run: () => {
        ex.forward();
        ex.backward(root);
        checks = checkTensors(graph, ex, session.analysis.seed, opts, spans).checks;
      },
      session,
      loss,
      facts: () => ({
        entries: checks.reduce((a, c) => a + c.checked, 0),
        projections: checks.reduce((a, c) => a + (c.fast?.projections ?? 0), 0),
        kinkFallbacks: checks.filter((c) => c.fast?.kinkCrossed).length,
        tensors: checks.length,
        verdicts: [...new Set(checks.map((c) => c.verdict))].join('/'),
        maxRelError: Math.max(...checks.map((c) => c.maxRelError)),
      }),
      dispose,
    };
  }
  // A loop of passes that keeps nothing of one run into the next, as the peer's loop and the Train
  // command: the engine hands the previous run's result buffers back to the ops (recycleResults),
  // the products' results and operands resident in the kernel's memory, as Train's steps have
  // them (explore/training.ts), and, as Train's steps, no scan of every gradient for NaN/Inf
  // and none of the rules' published figures (an rnn's per-step norms): the analysis' pass has
  // both; a loop reads the loss instead.
  const dispose = runResident(ex, graph);
  return {
    run: () => {
      ex.forward();
      ex.backward(root, undefined, { detectNonFinite: false, records: false });
    },
    session,
    loss,
    facts: () => ({}),
    dispose,
  };
}

/**
 * Recycled results, resident where products touch them, and the leaves products read resident,
 * as Train's steps and the language server's workers have them; returns what hands them back.
 */
function runResident(ex: Execution, graph: Graph): () => void {
  ex.recycleResults(true, true);
  const restoreLeaves = installResidentLeaves(graph);
  return () => {
    ex.recycleResults(false);
    restoreLeaves();
  };
}

/** The reference GEMM shapes: [label, M, N, K, layout]. */
const GEMM_SHAPES: [string, number, number, number, 'NN' | 'TN'][] = [
  ['X·W1 64×3072 @ 3072×100', 64, 100, 3072, 'NN'],
  ['dW1 = Xᵀ·dH 3072×64 @ 64×100', 3072, 100, 64, 'TN'],
  ['32×64 @ 64×64', 32, 64, 64, 'NN'],
  ['512²', 512, 512, 512, 'NN'],
];

/** Rounds of a shape against the peak loop, and each one's CPU time (ms) per side. */
const PAIRED_ROUNDS = 7;
const PAIRED_MS = 40;

/** The median (the mean of the middle two for an even count); the bench's one definition. */
export function median(xs: number[]): number {
  const v = [...xs].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** GFLOP/s of each reference shape, and of the kernel's peak loop, each timed for ~150 ms of CPU time. */
function prepareGemmKernel(): Prepared {
  // Operands in the kernel's memory, as these shapes' products run in the reference loops (their
  // tensors resident: engine/residentLeaves.ts, results from the pool); the same operands on the
  // JavaScript heap too, for what a product pays when they are copied in and out. The blocks go
  // back to the arena when the row is done (dispose), so later rows' memory is as before.
  const arena = residentArena();
  const blocks: Float64Array[] = [];
  const onHeap = GEMM_SHAPES.map(([, M, N, K]) => ({ A: values(M * K), B: values(K * N), C: new Float64Array(M * N) }));
  const resident = onHeap.map(({ A, B, C }) => {
    const copies = [A, B, C].map((x) => arena?.copyOf(x) ?? null);
    const [rA, rB, rC] = copies;
    if (rA && rB && rC) {
      blocks.push(rA, rB, rC);
      return { A: rA, B: rB, C: rC };
    }
    for (const c of copies) if (c) arena?.release(c);
    return null;
  });
  const productOf = (i: number, heap: boolean) => {
    const [, M, N, K, layout] = GEMM_SHAPES[i];
    const { A, B, C } = (heap ? null : resident[i]) ?? onHeap[i];
    if (layout === 'TN') gemmTN(M, N, K, A, 0, B, 0, C, 0, false);
    else gemmNN(M, N, K, A, 0, B, 0, C, 0, false);
  };
  const product = (i: number) => productOf(i, false);
  // Per CPU second (this thread's), not per wall second: on a loaded machine the wall clock runs on
  // while the process waits for a core.
  const cpuMs = () => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1000;
  };
  // The clock is read once per batch of about 0.5 ms of calls: process.cpuUsage() is a system call
  // of about 2.6 µs of CPU here, some 15% of the small shape's product if read after each.
  const rate = (flops: number, f: () => void, ms = 150) => {
    const c0 = cpuMs();
    f();
    const batch = Math.max(1, Math.floor(0.5 / Math.max(cpuMs() - c0, 1e-3)));
    let n = 0;
    const t0 = cpuMs();
    do {
      for (let i = 0; i < batch; i++) f();
      n += batch;
    } while (cpuMs() - t0 < ms);
    return (n * flops) / ((cpuMs() - t0) * 1e6);
  };
  return {
    run: () => GEMM_SHAPES.forEach((_, i) => product(i)),
    session: null,
    loss: () => null,
    dispose: () => {
      for (const b of blocks) arena?.release(b);
    },
    facts: () => {
      const facts: Record<string, number | string> = {};
      // Each timed after 150 ms of its own as a warm-up: a shape whose operands are on the heap
      // runs on the kernel's unshared instance (gemmKernel.ts' localKernel), a module of its own
      // that V8 compiles and optimises apart from the shared one (timed cold, it read 59%).
      // The ceilings: each arithmetic's multiply-adds with no memory traffic (wasm/gemm.wat's peak),
      // the separate one and — where the runtime fuses relaxed SIMD — the fused one.
      const ceiling = (arithmetic: GemmArithmetic): number | null => {
        if (gemmPeak(1, arithmetic) === null) return null;
        rate(40 * 100000, () => gemmPeak(100000, arithmetic));
        return rate(40 * 100000, () => gemmPeak(100000, arithmetic));
      };
      const separate = ceiling('separate');
      const fused = ceiling('fused');
      const peak = gemmArithmetic() === 'fused' ? fused : separate;
      facts.arithmetic = gemmArithmetic();
      facts['peak loop, separate multiply-add'] = separate === null ? 'no kernel' : separate.toFixed(2);
      facts['peak loop, fused (relaxed SIMD)'] = fused === null ? 'not in this runtime' : fused.toFixed(2);
      // Each shape's share of the peak loop from paired rounds: on a shared host the core's other
      // hardware thread (another tenant) slows the kernel and the peak loop alike, but not evenly
      // over time, so a share from two measurements seconds apart moved by 15 points between runs.
      const arithmetic = gemmArithmetic();
      const peakRate = () => rate(40 * 100000, () => gemmPeak(100000, arithmetic), PAIRED_MS);
      const pct = (x: number) => Math.round(100 * x);
      // GFLOP/s of `f` (`flops` a call) on one thread, and its share of the peak loop, from paired rounds.
      const againstPeak = (flops: number, f: () => void): string => {
        setGemmThreads(1);
        try {
          rate(flops, f);
          if (peak === null) return rate(flops, f).toFixed(2);
          const rates: number[] = [];
          const shares: number[] = [];
          for (let r = 0; r < PAIRED_ROUNDS; r++) {
            const first = r % 2 === 0 ? peakRate() : rate(flops, f, PAIRED_MS);
            const second = r % 2 === 0 ? rate(flops, f, PAIRED_MS) : peakRate();
            const [g, p] = r % 2 === 0 ? [second, first] : [first, second];
            rates.push(g);
            shares.push(g / p);
          }
          return `${median(rates).toFixed(2)} (${pct(median(shares))}% of its arithmetic's peak loop: the median of ${PAIRED_ROUNDS} rounds alternating with it, ${pct(Math.min(...shares))}–${pct(Math.max(...shares))}%)`;
        } finally {
          setGemmThreads(2);
        }
      };
      // The kernel's own loop on operands that stay in L1 (gemmTileLoop): the most a product reaches.
      const loop = gemmTileLoop();
      if (loop !== null) facts['tile loop, operands in L1'] = againstPeak(loop.flops, () => gemmTileLoop());
      GEMM_SHAPES.forEach(([label, M, N, K], i) => {
        facts[resident[i] ? `${label}, operands resident` : `${label}, operands on the heap (no resident memory)`] = againstPeak(2 * M * N * K, () => product(i));
      });
      GEMM_SHAPES.forEach(([label, M, N, K], i) => {
        if (resident[i]) facts[`${label}, operands copied in from the heap`] = againstPeak(2 * M * N * K, () => productOf(i, true));
      });
      // Both cores: wall time (the point is parallelism), 1 and 2 threads alternating.
      GEMM_SHAPES.forEach(([label, M, N, K], i) => {
        const t = pairedThreads(() => product(i), 300);
        const gf = (ms: number) => ((2 * M * N * K) / (ms * 1e6)).toFixed(2);
        facts[`${label}${resident[i] ? ' (operands resident)' : ''} wall, 1 / 2 threads`] = `${gf(t.one)} / ${gf(t.two)} GFLOP/s (${t.text})`;
      });
      return facts;
    },
  };
}

/** Wall time of `run` with products on 1 and on 2 threads (paired rounds, alternating order). */
export interface ThreadsTiming {
  /** Medians, ms. */
  one: number;
  two: number;
  /** Median of the rounds' 1-thread / 2-thread ratios, and their range. */
  speedup: number;
  lo: number;
  hi: number;
  /** Share of the split products' chunks the helper thread computed. */
  helperShare: number;
  /**
   * CPU time of the calling thread with 2 threads over that with 1 (Linux: /proc/self/task/<pid>/
   * schedstat): the critical path when the second core is idle, whatever the machine's load; and
   * of the whole process (both threads: the extra work the split costs). Null where not measured.
   */
  callerCpu: number | null;
  processCpu: number;
  text: string;
}

/** CPU ms of this process' main thread so far (Linux), or null. */
function mainThreadCpuMs(): number | null {
  const f = `/proc/self/task/${process.pid}/schedstat`;
  if (!existsSync(f)) return null;
  return Number(readFileSync(f, 'utf8').split(' ')[0]) / 1e6;
}

function processCpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

export function pairedThreads(run: () => void, budgetMs: number, rounds = 9): ThreadsTiming {
  const cpu = { 1: { caller: 0, all: 0 }, 2: { caller: 0, all: 0 } };
  let callerMeasured = true;
  const time = (threads: 1 | 2, reps: number) => {
    setGemmThreads(threads);
    const c0 = mainThreadCpuMs();
    const p0 = processCpuMs();
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) run();
    const wall = (performance.now() - t0) / reps;
    const c1 = mainThreadCpuMs();
    cpu[threads].all += processCpuMs() - p0;
    if (c0 === null || c1 === null) callerMeasured = false;
    else cpu[threads].caller += c1 - c0;
    return wall;
  };
  const est = Math.min(time(1, 1), time(2, 1), time(1, 1), time(2, 1));
  const reps = Math.max(1, Math.round(budgetMs / rounds / 2 / Math.max(est, 1e-3)));
  const one: number[] = [];
  const two: number[] = [];
  const ratio: number[] = [];
  const s0 = splitProducts();
  cpu[1] = { caller: 0, all: 0 };
  cpu[2] = { caller: 0, all: 0 };
  for (let r = 0; r < rounds; r++) {
    let a: number;
    let b: number;
    if (r % 2) {
      a = time(1, reps);
      b = time(2, reps);
    } else {
      b = time(2, reps);
      a = time(1, reps);
    }
    one.push(a);
    two.push(b);
    ratio.push(a / b);
  }
  setGemmThreads(2);
  const s1 = splitProducts();
  const med = (x: number[]) => [...x].sort((p, q) => p - q)[x.length >> 1];
  const chunks = s1.chunks - s0.chunks;
  const helperShare = chunks ? (s1.helperChunks - s0.helperChunks) / chunks : 0;
  const speedup = med(ratio);
  const [lo, hi] = [Math.min(...ratio), Math.max(...ratio)];
  const split = s1.products - s0.products;
  const paired = s1.pairs - s0.pairs;
  const maps = s1.maps - s0.maps;
  const waited = split + paired + maps ? (s1.waitMs - s0.waitMs) / (rounds * reps) : 0;
  const callerCpu = callerMeasured && cpu[1].caller > 0 ? cpu[2].caller / cpu[1].caller : null;
  const processCpu = cpu[2].all / cpu[1].all;
  const cpuText = `CPU time 2 threads ÷ 1: ${callerCpu === null ? '' : `calling thread ${callerCpu.toFixed(2)}, `}whole process ${processCpu.toFixed(2)}`;
  const perRun = (n: number, one: string, many: string) => `${n / (rounds * reps)} ${n === rounds * reps ? one : many}`;
  const handed = [split ? `${perRun(split, 'product', 'products')} split` : '', paired ? `${perRun(paired, 'pair', 'pairs')} of products (one on each thread)` : '', maps ? `${perRun(maps, 'gelu', 'gelus')} shared` : ''].filter(Boolean).join(', ');
  const text = `2 threads ${speedup.toFixed(2)}× [${lo.toFixed(2)}–${hi.toFixed(2)}] over ${rounds} paired rounds; ${handed ? `${handed} a run, the helper did ${Math.round(100 * helperShare)}% of their chunks, the caller waited ${waited.toFixed(3)} ms a run for it; ${cpuText}` : 'no product large enough to split or pair'}`;
  return { one: med(one), two: med(two), speedup, lo, hi, helperShare, callerCpu, processCpu, text };
}

/** Deterministic operand entries in [-1, 1], none exactly zero. */
export function values(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => Math.sin(i + 1));
}

/**
 * Incremental analysis as the editor runs it: each repetition analyses a newly edited text with
 * the check cache warm from the previous ones. The facts compare with no cache on the same edits.
 */
function prepareReanalysis(name: string, text: string): Prepared {
  const edit = REANALYSIS_EDITS[name];
  const cache = new CheckCache();
  analyze(text, { checkCache: cache });
  let i = 0;
  let last: AnalysisSession | null = null;
  let perEdit = { hits: 0, misses: 0 };
  return {
    run: () => {
      const before = { hits: cache.hits, misses: cache.misses };
      last = analyzeSession(edit(text, i++), { checkCache: cache });
      perEdit = { hits: cache.hits - before.hits, misses: cache.misses - before.misses };
    },
    session: null,
    loss: () => null,
    facts: () => {
      const times: number[] = [];
      for (let k = 0; k < 7; k++) {
        const edited = edit(text, i++);
        const t0 = performance.now();
        analyze(edited);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      const errors = last ? last.analysis.diagnostics.filter((d) => d.severity === 'error').length : -1;
      return { uncachedMs: times[3], reused: perEdit.hits, rerun: perEdit.misses, checks: last ? last.analysis.gradchecks.length : 0, errors };
    },
  };
}
