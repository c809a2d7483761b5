// The bench's results: the rows it measured, the machine they ran on, and how they are written
// (bench/results.json, bench/results.md and the README's table, which is peerTable without notes).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PAIR_MIN_WORK, THREAD_MIN_WORK } from '../src/core/tensor/gemmThreads';
import { PEER_MALLOC, type PeerAnswer, type PeerSetup } from './peer';
import { WORKLOADS, type WorkloadDef } from './workloads';

/** Every row's memory bound: peak resident set below this many MB. */
const PEAK_LIMIT_MB = 500;

export interface Row {
  name: string;
  gradlens_ms: number | null;
  peer: string | null;
  /** The peer's BLAS and kernel ("OpenBLAS 0.3.21 SkylakeX"), and the thread count of peer_ms (its best). */
  peer_blas: string | null;
  peer_threads: number | null;
  /** The peer's median at each thread count, e.g. { "1": 9.5, "2": 7.1 }. */
  peer_ms_by_threads: Record<string, number> | null;
  peer_ms: number | null;
  ratio: number | null;
  /**
   * Medians of CPU time per repetition, GradLens and the peer on 1 thread, and their ratio: on a
   * loaded machine a process waiting for a core runs up wall time but not CPU time.
   */
  gradlens_cpu_ms: number | null;
  peer_cpu_ms: number | null;
  cpu_ratio: number | null;
  target: number | null;
  met: boolean;
  peak_mb: number | null;
  /** Forward and backward rows: the run's matrix products alone, ms (the kernel's floor under the row). */
  gemm_floor_ms?: number | null;
  /** The same products at the kernel's peak loop (both cores for those that split), ms: the arithmetic's ceiling. */
  gemm_ceiling_ms?: number | null;
  /**
   * Forward and backward rows and gradient checks: GradLens' wall time with products on 1 and on 2 threads, paired
   * rounds in alternating order (medians), and the median of the rounds' ratios.
   */
  gradlens_ms_by_threads?: { '1': number; '2': number; speedup: number; helper_share: number } | null;
}

export interface Extra {
  def: WorkloadDef;
  note: string;
  /** Lines of the "Both cores" table: products on 1 and on 2 threads. */
  threads: string[];
}

export function round(x: number | null, digits: number): number | null {
  return x === null ? null : Number(x.toFixed(digits));
}

export function metOf(def: WorkloadDef, ms: number | null, ratio: number | null, peak: number | null): boolean {
  const memOk = peak !== null && peak < PEAK_LIMIT_MB;
  if (def.target === null) return ms !== null && memOk;
  const timeOk = def.peer ? ratio !== null && ratio <= def.target : ms !== null && ms < def.target;
  return timeOk && memOk;
}

export function targetText(def: WorkloadDef): string {
  if (def.target === null) return '— (peak < 500 MB)';
  if (def.peer && def.target < 1) return `≥ ${Math.round(1 / def.target)}× faster (ratio ≤ ${def.target})`;
  if (def.peer) return `≤ ${def.target.toFixed(1)}× ${def.peer === 'numpy' ? 'NumPy' : 'PyTorch'}`;
  return `< ${def.target} ms`;
}

export function fmtMs(x: number | null): string {
  if (x === null) return '—';
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

export function fmtRatio(r: number | null): string {
  if (r === null) return '—';
  return r < 1 ? `${r.toFixed(3)}× (${(1 / r).toFixed(1)}× faster)` : `${r.toFixed(3)}×`;
}

/** How the peer's kernel was chosen, in one phrase. */
function peerSetupText(machine: Machine): string {
  const s = machine.peer_setup;
  if (!s) return 'kernel not chosen';
  const inherited = s.inherited ? `; the environment's OPENBLAS_CORETYPE=${s.inherited} is not inherited` : '';
  const malloc = `; glibc malloc in the peer's process as a caching allocator (${Object.entries(PEER_MALLOC)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}: no unmapping between steps)`;
  return `${s.coretype ? `OPENBLAS_CORETYPE=${s.coretype} in the peer's process` : "OpenBLAS' own kernel detection"}: ${s.why}${inherited}${malloc}`;
}

/** The results table (with notes) or the README's (without): the peer's BLAS, kernel and threads on every row. */
export function peerTable(rows: Row[], extras: { target: string; note?: string }[]): string[] {
  const notes = extras.some((e) => e.note !== undefined);
  const out = [
    `| workload | GradLens ms | peer | peer BLAS, kernel | peer threads | peer ms | peer ms by threads | ratio | CPU ms, GradLens / peer on 1 thread | CPU ratio | target | met | peak MB |${notes ? ' notes |' : ''}`,
    `| --- | ---: | --- | --- | ---: | ---: | --- | ---: | ---: | ---: | --- | --- | ---: |${notes ? ' --- |' : ''}`,
  ];
  rows.forEach((r, i) => {
    const by = r.peer_ms_by_threads ? Object.entries(r.peer_ms_by_threads).map(([t, ms]) => `${t}: ${fmtMs(ms)}`).join(', ') : '—';
    const cells = [r.name, fmtMs(r.gradlens_ms), r.peer ?? '—', r.peer_blas ?? '—', r.peer_threads === null ? '—' : String(r.peer_threads), fmtMs(r.peer_ms), by, fmtRatio(r.ratio), r.gradlens_cpu_ms === null ? '—' : `${fmtMs(r.gradlens_cpu_ms)} / ${fmtMs(r.peer_cpu_ms)}`, fmtRatio(r.cpu_ratio), extras[i].target, r.met ? 'yes' : '**no**', r.peak_mb === null ? '—' : r.peak_mb.toFixed(0)];
    if (notes) cells.push(extras[i].note ?? '');
    out.push(`| ${cells.join(' | ')} |`);
  });
  return out;
}

export interface Machine {
  cpu: string;
  cores: number;
  memory_gb: number;
  os: string;
  node: string;
  gemm: string;
  torch: string | null;
  numpy: string | null;
  python: string | null;
  /** The peer's BLAS and kernel, and how the kernel was chosen (bench/peer.ts). */
  peer_blas: string | null;
  peer_blas_facts: PeerAnswer | null;
  peer_setup: Omit<PeerSetup, 'env'> | null;
  /** The thread counts the peer was timed at (each row reports its best). */
  peer_threads: number[];
  load_average: number[];
  /**
   * Control for the threads figures: CPU seconds per wall second this process got with two
   * independent busy threads for half a second (2 on an idle 2-core machine; 1 or less when the
   * scheduler gives the session one core's share whatever its thread count).
   */
  two_thread_cpu_per_wall: number | null;
  date: string;
}

export function writeResults(dir: string, machine: Machine, rows: Row[], extras: Extra[], scaling: string[], profiles: string[], baselineMb: number | null): void {
  writeFileSync(join(dir, 'results.json'), JSON.stringify({ machine, workloads: rows }, null, 2) + '\n');
  const md: string[] = [];
  md.push('# GradLens benchmark results', '');
  md.push(`Written by \`npm run bench\` on ${machine.date}. Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory_gb} GB, ${machine.os}; Node ${machine.node} (GEMM: ${machine.gemm}); ` +
    (machine.torch ? `PyTorch ${machine.torch}, NumPy ${machine.numpy}, Python ${machine.python}, both on ${machine.peer_blas} (${peerSetupText(machine)}), each timed at ${machine.peer_threads.join(' and ')} threads.` : 'PyTorch: not available.') +
    ` Load average at the start: ${machine.load_average.map((x) => x.toFixed(2)).join(' / ')}.`, '');
  md.push(...peerTable(rows, extras.map((e) => ({ target: targetText(e.def), note: e.note }))));
  const threadLines = extras.flatMap((e) => e.threads);
  if (threadLines.length) {
    md.push(
      '',
      '## Both cores',
      '',
      `Products of at least ${THREAD_MIN_WORK} multiply-adds are split between the calling thread and one helper thread (src/core/tensor/gemmThreads.ts), and two independent products of at least ${PAIR_MIN_WORK} each (a product's two gradients, conv2d's images) run one on each thread (gemmPair, src/core/tensor/matmul.ts); same bits as one thread. ` +
        'Wall time (the point is parallelism), the same run with products on 1 and on 2 threads in paired rounds of alternating order: medians, and the median and range of the rounds\' ratios. ' +
        'The load average is the machine\'s at the row: with more runnable threads than cores the helper waits for a core like everything else. ' +
        `Control: two independent busy threads got ${machine.two_thread_cpu_per_wall ?? '?'} CPU seconds per wall second at the start of this run (2 means a free second core).`,
      '',
      '| row | 1 thread | 2 threads | paired | load |',
      '| --- | ---: | ---: | --- | ---: |',
      ...threadLines,
    );
  }
  md.push('', '## Scaling', '', 'Time per unit of work (medians of the same run); flat per-unit times mean the cost grows linearly.', '');
  md.push(...scaling);
  if (profiles.length) {
    md.push('', '## Where the time goes in the workloads that miss their target', '', 'Self time per function over about two seconds of the workload in a fresh process (`node --cpu-prof`, the bundled core):', '');
    md.push(...profiles);
  }
  md.push('', '## What is measured', '');
  for (const { def } of extras) md.push(`- **${def.name}**: ${def.what}.`);
  md.push(
    '',
    'GradLens runs in the bench process, bundled by esbuild as the CLI and the extension are (`Execution.forward()` + `backward(root)` on the analysed program, without the scan of every gradient for NaN/Inf and the rules\' published figures (an rnn\'s per-step gradient norms) that an analysis makes (Train\'s steps skip both), in a loop that reuses the previous run\'s result buffers as the Train command\'s steps do — `recycleResults`, the tensors products read and write resident in the kernel\'s memory as Train\'s and the language server\'s are (`src/core/tensor/resident.ts`); a single analysis in the editor allocates fresh ones; gradient checks through `checkTensors`), ' +
      'PyTorch (and NumPy, a hand-written cs231n-style forward/backward, for mlp2-numpy and deep-numpy) in a separate Python process (`bench/torch_peer.py`) on the leaf values GradLens exported (`.npy`), float64 on the CPU. ' +
      'The peer reports the BLAS it loaded (/proc/self/maps) and OpenBLAS\' kernel (`openblas_get_corename`); a peer on the netlib reference BLAS is labelled "(reference BLAS — crippled)" and its row fails. ' +
      'OPENBLAS_CORETYPE is chosen for the peer\'s process only, by timing a GEMM under OpenBLAS\' own detection and under the kernel the CPU\'s flags call for (the faster on one thread wins); each row times the peer on 1 thread and on all cores and compares with the faster (both in "peer ms by threads"). ' +
      'Both sides differentiate every float input as well as the params (`requires_grad` on the PyTorch inputs), so they do the same work; ' +
      'the loss of both sides is compared (agreement to 1e-9 is noted as "same loss"). ' +
      'On a loaded machine wall times measure the scheduler as much as the code: the CPU-time columns (process CPU time per repetition, the peer on 1 thread) are the fairer comparison there. ' +
      'Rounds alternate the sides; times are medians over all timed repetitions after a warm-up of half a second on each side. ' +
      `Peak MB is the maximum resident set of a fresh Node process that prepares the workload and runs it three times (it includes Node itself, about ${baselineMb === null ? '?' : baselineMb.toFixed(0)} MB for a trivial file). ` +
      '`met` is the target of the row and peak < 500 MB; rows without a target (gradcheck-sampled, the NumPy rows, the controls) have only the memory target; the scaling rows carry issue 17’s ≤ 1.0× PyTorch target.',
    '',
  );
  writeFileSync(join(dir, 'results.md'), md.join('\n'));
}

export function scalingTable(rows: Row[]): string[] {
  const out = ['| workload | units | GradLens ms | ms per unit | per unit vs smallest | PyTorch ms per unit |', '| --- | ---: | ---: | ---: | ---: | ---: |'];
  for (const group of ['mlp2', 'deep'] as const) {
    const ws = WORKLOADS.filter((w) => w.unit?.group === group).sort((a, b) => (a.unit?.count ?? 0) - (b.unit?.count ?? 0));
    let first: number | null = null;
    for (const w of ws) {
      const r = rows.find((x) => x.name === w.name);
      if (!r || r.gradlens_ms === null || !w.unit) continue;
      const per = r.gradlens_ms / w.unit.count;
      first ??= per;
      const peerPer = r.peer_ms === null ? '—' : (r.peer_ms / w.unit.count).toFixed(4);
      out.push(`| ${w.name} | ${w.unit.count} ${w.unit.name}s | ${fmtMs(r.gradlens_ms)} | ${per.toFixed(4)} | ${(per / first).toFixed(2)} | ${peerPer} |`);
    }
  }
  return out;
}
