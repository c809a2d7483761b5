// `npm run bench`: times each reference workload of issue 7 in GradLens (in this process) and in
// PyTorch (bench/torch_peer.py, float64 CPU, on the same leaf values) in one run, and writes
// bench/results.json and bench/results.md. Not a test: it asserts nothing, it measures.
//
// Method: per workload, warm-up on both sides, then rounds that alternate GradLens and the peer
// (so background load hits both alike), medians over every timed repetition. Peak memory is the
// maximum resident set of a fresh process that prepares the workload and runs it three times.
// bench/bench.mjs bundles this file with esbuild first, so the timed core is the shipped code.
//
// Options: --only a,b  (workload names; such a partial run writes bench/tmp/results.{md,json}, leaving the
// committed results of the whole bench alone)   --quick  (fewer repetitions)   --no-peer
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { analyzeSession } from '../src/core/analyze';
import type { Tensor } from '../src/core/tensor/tensor';
import { enableRelaxedSimd, gemmArithmetic, gemmBackend, relaxedMadd, startGemmThreads } from '../src/core/tensor/matmul';
import { THREAD_MIN_WORK } from '../src/core/tensor/gemmThreads';
import { exampleFiles, examplesRow, measureExamples, prepareExample } from './examples';
import { timeAlternating } from './timing';
import { gemmFloor, type GemmFloor } from './gemmFloor';
import { writeNpy } from './npy';
import { median, pairedThreads, prepare, WORKLOADS, type Prepared, type ThreadsTiming, type WorkloadDef } from './workloads';
import type { EditLatency } from './editLatency';
import { blasText, choosePeerSetup, ensurePeerTools, Peer, peerLabel, type BlasFacts, type PeerAnswer } from './peer';
import { fmtMs, fmtRatio, metOf, round, scalingTable, writeResults, type Extra, type Machine, type Row } from './report';

// bench/bench.mjs runs the bundle from bench/tmp and says where bench/ is; under tsx it is here.
const HERE = process.env.GRADLENS_BENCH_DIR ?? __dirname;
const ROOT = join(HERE, '..');
const TMP = join(HERE, 'tmp');

interface Args {
  only: string[] | null;
  quick: boolean;
  peer: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { only: null, quick: false, peer: true };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--only') a.only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (argv[i] === '--quick') a.quick = true;
    else if (argv[i] === '--no-peer') a.peer = false;
    else throw new Error(`bench: unknown option ${argv[i]} (use --only a,b, --quick, --no-peer)`);
  }
  return a;
}

// ------------------------------------------------------------------ the peer (bench/peer.ts)

/** Writes every named leaf of the program as .npy plus a manifest: the peer's inputs. */
function exportLeaves(def: WorkloadDef, p: Prepared): string {
  const s = p.session;
  if (!s?.graph || !s.execution) throw new Error(`${def.name}: nothing to export`);
  const dir = join(TMP, def.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const leaves: Record<string, { int: boolean; grad: boolean }> = {};
  const manifest: Record<string, unknown> = { family: def.family === 'gradcheck-full' || def.family === 'gradcheck-fast' ? 'mlp2' : def.family, leaves, ...(def.manifest ?? {}) };
  for (const [name, id] of s.graph.named) {
    const n = s.graph.nodes[id];
    if (n.kind === 'op' || n.kind === 'dout') continue;
    const v = s.execution.values[id] as Tensor;
    if (n.kind === 'const' && v.size === 1) {
      manifest[name] = v.item();
      continue;
    }
    writeNpy(join(dir, `${name}.npy`), v.shape, v.data);
    leaves[name] = { int: n.type.isInt, grad: n.requiresGrad };
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 1));
  return dir;
}

// ------------------------------------------------------------------ timing

interface Measured {
  gradlens: number[];
  /** CPU time of each GradLens repetition (this process: both threads when products are split). */
  gradlensCpu: number[];
  /** The peer's CPU time per repetition on 1 thread (wall time of a descheduled process is not work). */
  peerCpu: number[];
  /** The peer's times at each thread count (1 and all cores). */
  peer: Map<number, number[]>;
  peerInfo: PeerAnswer | null;
  loss: number | null;
  facts: Record<string, number | string>;
  peak_mb: number | null;
  /** THREAD_FAMILIES rows: the same run on 1 and on 2 threads, paired (wall time). */
  threads: ThreadsTiming | null;
  /** Forward and backward rows: the run's matrix products alone (bench/gemmFloor.ts). */
  floor: GemmFloor | null;
}

/** The rows whose run is a forward and backward pass (their products' floor is reported). */
const PASS_FAMILIES = new Set(['mlp2', 'convnet', 'rnn', 'transformer', 'deep']);

/** The rows timed on 1 and 2 threads: forward and backward passes and gradient checks (their products may use both cores). */
const THREAD_FAMILIES = new Set(['mlp2', 'convnet', 'rnn', 'transformer', 'deep', 'gradcheck-full', 'gradcheck-fast', 'gradcheck-sampled']);

/** Process CPU time per wall second with two independent busy threads (see Machine.two_thread_cpu_per_wall). */
async function twoThreadCapacity(): Promise<number | null> {
  const spin = 'const t = Date.now(); let x = 0; while (Date.now() - t < 500) x += Math.sqrt(x + 1);';
  try {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const w = new Worker(spin, { eval: true });
    const exited = new Promise((resolve) => w.on('exit', resolve));
    // Started once the worker runs, so that both threads spin at the same time.
    await new Promise((resolve) => w.on('online', resolve));
    new Function(spin)();
    await exited;
    const c = process.cpuUsage(c0);
    return Number(((c.user + c.system) / 1000 / (performance.now() - t0)).toFixed(2));
  } catch {
    return null;
  }
}

/** The thread counts the peer is timed at: 1 and all cores (its best is reported, both shown). */
function peerThreads(): number[] {
  return [...new Set([1, cpus().length])];
}

async function measure(def: WorkloadDef, args: Args, peer: Peer | null): Promise<Measured> {
  const p = prepare(def);
  try {
    return await measurePrepared(p, def, args, peer);
  } finally {
    // The next row starts from the same kernel memory (a row's resident results are handed back).
    p.dispose?.();
  }
}

async function measurePrepared(p: Prepared, def: WorkloadDef, args: Args, peer: Peer | null): Promise<Measured> {
  const dir = peer && def.peer ? exportLeaves(def, p) : null;
  const impl = def.peer ?? 'torch';
  const ask = async (req: Record<string, unknown>) => {
    const a = await (peer as Peer).ask({ cmd: 'time', workload: def.name, dir, impl, ...req });
    if (a.error) throw new Error(`${def.name}: ${impl} peer: ${a.error}`);
    return a;
  };
  const t = await timeAlternating(p.run, peer && dir ? ask : null, peerThreads(), {
    rounds: args.quick ? 2 : 5,
    budgetMs: args.quick ? 150 : 400,
    warmMs: args.quick ? 200 : 500,
    maxReps: 200,
  });
  // The helper thread starts at its own pace (gemmThreads.ts): have it running before timing 2 threads.
  const helperUp = await startGemmThreads();
  const threads = THREAD_FAMILIES.has(def.family) && helperUp ? pairedThreads(p.run, args.quick ? 600 : 1500) : null;
  const floor = PASS_FAMILIES.has(def.family) ? gemmFloor(p.run, args.quick ? 150 : 400) : null;
  return { gradlens: t.gradlens, gradlensCpu: t.gradlensCpu, peerCpu: t.peerCpu, peer: t.peer, peerInfo: t.peerInfo, loss: p.loss(), facts: p.facts(), peak_mb: peakOf(def.name), threads, floor };
}

/** Peak RSS of a fresh process (this script again, in --peak mode) running the workload. */
function peakOf(name: string): number | null {
  const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1], '--peak', name], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, GRADLENS_BENCH_DIR: HERE } });
  if (r.status !== 0) {
    console.error(`bench: peak memory of ${name} failed: ${r.stderr}`);
    return null;
  }
  return (JSON.parse(r.stdout.trim().split('\n').pop() as string) as { peak_mb: number }).peak_mb;
}

/** --profile <name>: run the workload for about two seconds (under --cpu-prof, see profileOf). */
function profileMode(name: string): void {
  const p = prepare(WORKLOADS.find((w) => w.name === name) ?? WORKLOADS[0]);
  const until = performance.now() + 2000;
  do p.run();
  while (performance.now() < until);
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** The functions with the most self time in a CPU profile of the workload (a fresh process). */
function profileOf(name: string): string[] {
  const dir = join(TMP, `profile-${name}`);
  rmSync(dir, { recursive: true, force: true });
  const r = spawnSync(process.execPath, [...process.execArgv, `--cpu-prof`, `--cpu-prof-dir=${dir}`, process.argv[1], '--profile', name], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, GRADLENS_BENCH_DIR: HERE } });
  if (r.status !== 0) return [];
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return [];
  const prof = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  prof.samples.forEach((id, i) => {
    const n = byId.get(id);
    const fn = n?.callFrame.functionName || '(anonymous)';
    if (!n || fn === '(idle)' || fn === '(program)') return;
    const dt = prof.timeDeltas[i] ?? 0;
    const key = n.callFrame.url.includes('wasm') ? 'wasm GEMM kernel' : fn;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, t]) => `${k} ${((100 * t) / total).toFixed(0)}%`);
}

/** --peak <name>: prepare the workload, run it three times, print the maximum resident set. */
function peakMode(name: string): void {
  if (name === '--baseline') analyzeSession('input x = 1\nf = x * x\n');
  else if (name === 'examples') {
    for (const file of exampleFiles(ROOT)) {
      const p = prepareExample(file);
      for (let i = 0; i < 3; i++) p.run();
      p.dispose?.();
    }
  } else {
    const p = prepare(WORKLOADS.find((w) => w.name === name) ?? WORKLOADS[0]);
    for (let i = 0; i < 3; i++) p.run();
  }
  // maxRSS is in kilobytes.
  process.stdout.write(JSON.stringify({ peak_mb: process.resourceUsage().maxRSS / 1024 }) + '\n');
}

let editLatencyResult: EditLatency | null = null;

/** The editor harness runs once, in its own process under tsx (see bench/editLatency.ts); both edit-latency rows read it. */
function editLatency(): EditLatency {
  editLatencyResult ??= runEditLatency();
  return editLatencyResult;
}

function runEditLatency(): EditLatency {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(HERE, 'editLatency.ts')], { cwd: ROOT, encoding: 'utf8', timeout: 15 * 60_000 });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as EditLatency;
  } catch {
    const note = `not measured: the harness process failed (${(r.stderr ?? '').trim().split('\n').pop() ?? r.status})`;
    return { medianMs: null, maxBlockedMs: null, peakMb: null, note, lenses: { medianMs: null, note } };
  }
}

interface CompletionFigures {
  statements: number;
  samples: number;
  typingP50: number;
  typingP95: number;
  cachedP50: number;
  cachedP95: number;
  peakMb: number;
}

/** bench/completion.ts in its own process (its own JIT and memory), one JSON line. */
function runCompletion(): CompletionFigures | null {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(HERE, 'completion.ts'), '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 10 * 60_000 });
  try {
    return JSON.parse((r.stdout ?? '').trim().split('\n').pop() ?? '') as CompletionFigures;
  } catch {
    return null;
  }
}

let baselineMb: number | null = null;

function baseline(): number | null {
  return peakOf('--baseline');
}

async function main(): Promise<void> {
  // As the CLI does (gradlens check, lsp --stdio): the fused kernel where Node 20 has it behind a flag.
  enableRelaxedSimd();
  if (process.argv[2] === '--peak') {
    peakMode(process.argv[3]);
    return;
  }
  if (process.argv[2] === '--profile') {
    profileMode(process.argv[3]);
    return;
  }
  const args = parseArgs(process.argv.slice(2));
  // Every row is timed with the helper thread available (it would otherwise start during a row).
  await startGemmThreads();
  mkdirSync(TMP, { recursive: true });
  const load = loadavg();
  const torchProblem = args.peer ? ensurePeerTools(ROOT) : 'the peer was switched off (--no-peer)';
  const setup = torchProblem ? null : choosePeerSetup(HERE);
  if (setup) console.log(`bench: peer kernel: ${setup.coretype ? `OPENBLAS_CORETYPE=${setup.coretype}` : "OpenBLAS' own detection"} (${setup.why})`);
  const peer = setup ? new Peer(HERE, setup.env) : null;
  const info = peer ? await peer.ask({ cmd: 'info' }) : null;
  const machine: Machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()}`,
    node: process.versions.node,
    gemm: `${gemmBackend()}, ${gemmArithmetic()} multiply-adds (relaxed SIMD madd ${relaxedMadd()}), products ≥ ${THREAD_MIN_WORK} multiply-adds on 2 threads`,
    torch: (info?.torch as string | undefined) ?? null,
    numpy: (info?.numpy as string | undefined) ?? null,
    python: (info?.python as string | undefined) ?? null,
    peer_blas: info ? blasText(info as Partial<BlasFacts>) : null,
    peer_blas_facts: info,
    peer_setup: setup ? { coretype: setup.coretype, inherited: setup.inherited, probes: setup.probes, why: setup.why } : null,
    peer_threads: peerThreads(),
    load_average: load,
    two_thread_cpu_per_wall: await twoThreadCapacity(),
    date: new Date().toISOString(),
  };
  if (torchProblem) console.log(`bench: no PyTorch peer: ${torchProblem}`);
  baselineMb = baseline();

  const unknown = (args.only ?? []).filter((n) => !WORKLOADS.some((w) => w.name === n));
  if (unknown.length) throw new Error(`bench: no workload named ${unknown.join(', ')} (the names: ${WORKLOADS.map((w) => w.name).join(', ')})`);
  const selected = WORKLOADS.filter((w) => !args.only || args.only.includes(w.name));
  // A run of a few rows does not replace the committed results of the whole bench.
  const outDir = args.only ? TMP : HERE;
  mkdirSync(outDir, { recursive: true });
  const rows: Row[] = [];
  const extras: Extra[] = [];
  const profiles: string[] = [];
  for (const def of selected) {
    process.stdout.write(`bench: ${def.name} … `);
    let row: Row;
    const notes: string[] = [];
    const threadLines: string[] = [];
    // Other work on the machine slows both sides; the 1-minute load average says how much there was.
    const loadNow = loadavg()[0];
    if (def.family === 'completion') {
      const c = runCompletion();
      row = { name: def.name, gradlens_ms: round(c?.typingP95 ?? null, 2), peer: null, peer_blas: null, peer_threads: null, peer_ms_by_threads: null, peer_ms: null, ratio: null, gradlens_cpu_ms: null, peer_cpu_ms: null, cpu_ratio: null, target: def.target, met: false, peak_mb: round(c?.peakMb ?? null, 1) };
      row.met = metOf(def, row.gradlens_ms, null, row.peak_mb);
      notes.push(c ? `p95 after a keystroke; p50 ${c.typingP50.toFixed(2)} ms; on the same text (parse cached) p50 ${c.cachedP50.toFixed(2)} ms, p95 ${c.cachedP95.toFixed(2)} ms; ${c.statements} statements, ${c.samples} requests` : 'not measured: bench/completion.ts failed');
    } else if (def.family === 'edit-latency') {
      const e = editLatency();
      const figure =
        def.name === 'edit-latency-lens'
          ? e.lenses
          : def.name === 'edit-latency-deep'
            ? (e.deep ?? { medianMs: null, note: e.note })
            : def.name === 'edit-latency-deep-control'
            ? { medianMs: e.deepControl?.medianMs ?? null, note: e.deepControl ? `${e.deepControl.summary}; not GradLens: line-end texts set at once by an extension with no analysis, to show what VS Code itself takes` : e.note }
            : def.name === 'edit-latency-control'
            ? { medianMs: e.probe?.medianMs ?? null, note: e.probe ? `${e.probe.summary}; not GradLens: a lens provider with no work behind it, to show what VS Code itself takes` : e.note }
            : e;
      row = { name: def.name, gradlens_ms: round(figure.medianMs, 1), peer: null, peer_blas: null, peer_threads: null, peer_ms_by_threads: null, peer_ms: null, ratio: null, gradlens_cpu_ms: null, peer_cpu_ms: null, cpu_ratio: null, target: def.target, met: false, peak_mb: round(e.peakMb, 1) };
      // The extension host's event-loop bound is part of the edit-latency row's target (issue 13),
      // measured during the row's own timed edits (else the integration suite's typing burst; the
      // note says which: bench/hostStats.ts); the other editor rows are judged by their medians.
      row.met = metOf(def, row.gradlens_ms, null, row.peak_mb) && (def.name !== 'edit-latency' || (e.maxBlockedMs !== null && e.maxBlockedMs <= 16));
      notes.push(figure.note);
    } else if (def.family === 'examples') {
      const timings = await measureExamples(ROOT, TMP, peer, peerThreads(), args.quick);
      const { row: r, note } = examplesRow(def, timings, { label: peer ? peerLabel('torch', info?.blas as string | undefined) : null, blas: machine.peer_blas }, peakOf(def.name));
      row = r;
      notes.push(note);
      if (!peer) notes.push('no PyTorch peer');
    } else {
      const m = await measure(def, args, def.peer ? peer : null);
      const g = median(m.gradlens);
      // The peer at its best: the faster of its thread counts.
      const byThreads: Record<string, number> = {};
      for (const [threads, times] of m.peer) if (times.length) byThreads[threads] = round(median(times), 3) as number;
      const best = Object.entries(byThreads).sort((a, b) => a[1] - b[1])[0] ?? null;
      const q = best ? median(m.peer.get(Number(best[0])) as number[]) : null;
      const ratio = q !== null ? g / q : null;
      const label = q !== null ? peerLabel(def.peer ?? 'torch', info?.blas as string | undefined) : null;
      row = {
        name: def.name,
        gradlens_ms: round(g, 3),
        peer: label,
        peer_blas: q !== null ? machine.peer_blas : null,
        peer_threads: best ? Number(best[0]) : null,
        peer_ms_by_threads: best ? byThreads : null,
        peer_ms: round(q, 3),
        ratio: round(ratio, 4),
        gradlens_cpu_ms: m.gradlensCpu.length ? round(median(m.gradlensCpu), 3) : null,
        peer_cpu_ms: m.peerCpu.length ? round(median(m.peerCpu), 3) : null,
        cpu_ratio: m.gradlensCpu.length && m.peerCpu.length ? round(median(m.gradlensCpu) / median(m.peerCpu), 4) : null,
        target: def.target,
        met: false,
        peak_mb: round(m.peak_mb, 1),
        gradlens_ms_by_threads: m.threads ? { '1': round(m.threads.one, 3) as number, '2': round(m.threads.two, 3) as number, speedup: round(m.threads.speedup, 3) as number, helper_share: round(m.threads.helperShare, 2) as number } : null,
      };
      // A peer on the reference BLAS is no peer: the row cannot be met against it.
      row.met = metOf(def, g, ratio, m.peak_mb) && !(label ?? '').includes('crippled');
      const peerLoss = m.peerInfo?.loss as number | undefined;
      if (m.loss !== null && peerLoss !== undefined) {
        const rel = Math.abs(m.loss - peerLoss) / Math.max(1, Math.abs(peerLoss));
        notes.push(rel <= 1e-9 ? 'same loss' : `**loss differs** (${m.loss} vs ${peerLoss})`);
      }
      if (def.family === 'gradcheck-full' || def.family === 'gradcheck-sampled') notes.push(`${m.facts.entries} entries, verdict ${m.facts.verdicts}`);
      if (def.family === 'gradcheck-full' && m.peerInfo) notes.push(`torch gradcheck ${m.peerInfo.passed ? 'passed' : 'failed'} on ${m.peerInfo.entries} entries`);
      if (def.family === 'gradcheck-fast') notes.push(`${m.facts.entries} entries covered by ${m.facts.projections} projections (${m.facts.kinkFallbacks} tensors fell back to sampled entries: their projection crossed a relu kink), verdict ${m.facts.verdicts}${m.peerInfo ? `; torch gradcheck(fast_mode=True) ${m.peerInfo.passed ? 'passed' : 'failed'} on ${m.peerInfo.entries} entries` : ''}`);
      if (def.family === 'parse-shapes') notes.push(`${m.facts.statements} statements, ${(g / (Number(m.facts.lines) / 1000)).toFixed(2)} ms per 1,000 lines, ${m.facts.errors} errors`);
      if (def.family === 'reanalysis') notes.push(`${Number(m.facts.uncachedMs).toFixed(1)} ms without the check cache (${(Number(m.facts.uncachedMs) / g).toFixed(1)}× longer); per edit ${m.facts.reused} cached check results reused, ${m.facts.rerun} computed; ${m.facts.checks} checks reported, ${m.facts.errors} errors`);
      if (def.family === 'debug-step') notes.push(`${m.facts.steps} steps from the entry to the last stop, walked back and forth; ${m.facts.frames} frame(s), ${m.facts.scopes} scopes and ${m.facts.locals} locals read at each stop`);
      if (def.family === 'gemm-kernel') notes.push(`${m.facts.arithmetic} multiply-adds; GFLOP/s: ${Object.entries(m.facts).filter(([k]) => k !== 'arithmetic').map(([k, v]) => `${k}: ${v}`).join('; ')}`);
      if (m.threads) threadLines.push(`| ${def.name} | ${fmtMs(m.threads.one)} ms | ${fmtMs(m.threads.two)} ms | ${m.threads.text} | ${loadNow.toFixed(1)} |`);
      if (def.family === 'gemm-kernel') {
        for (const [k, v] of Object.entries(m.facts)) {
          const t = /^([\d.]+) \/ ([\d.]+) GFLOP\/s \((.*)\)$/.exec(String(v));
          if (k.endsWith(' wall, 1 / 2 threads') && t) threadLines.push(`| GEMM ${k.replace(' wall, 1 / 2 threads', '')} | ${t[1]} GFLOP/s | ${t[2]} GFLOP/s | ${t[3]} | ${loadNow.toFixed(1)} |`);
        }
      }
      if (m.floor) {
        const f = m.floor;
        // Their share of the run from paired rounds, times the row's ratio: both measured side by side.
        const vsPeer = ratio !== null ? `, ${(f.share * ratio).toFixed(2)}× the peer's whole pass` : '';
        notes.push(`its ${f.calls} matrix products alone (replayed, bench/gemmFloor.ts): ${fmtMs(f.ms)} ms, ${(100 * f.share).toFixed(0)}% of the run (rounds alternating the two), ${(f.gflop / (f.ms / 1000)).toFixed(1)} GFLOP/s${vsPeer}`);
        row.gemm_floor_ms = round(f.ms, 3);
        if (f.ceilingMs !== null && f.peakGflops !== null) {
          const ceilingVsPeer = q !== null ? `, ${(f.ceilingMs / q).toFixed(2)}× the peer's whole pass` : '';
          notes.push(`at the kernel's peak loop (${f.peakGflops.toFixed(1)} GFLOP/s a core, no memory traffic; both cores for the products that split) they would take ${fmtMs(f.ceilingMs)} ms${ceilingVsPeer}: the arithmetic's ceiling`);
          row.gemm_ceiling_ms = round(f.ceilingMs, 3);
        }
      }
      if (m.threads) notes.push(`products on 1 / 2 threads: ${fmtMs(m.threads.one)} / ${fmtMs(m.threads.two)} ms wall, ${m.threads.text}`);
      if (def.family === 'rnn' && m.peerInfo?.impl) notes.push(`torch: ${m.peerInfo.impl}`);
      if (def.peer && !peer) notes.push(`no ${def.peer === 'numpy' ? 'NumPy' : 'PyTorch'} peer`);
    }
    notes.push(`load ${loadNow.toFixed(1)}`);
    rows.push(row);
    extras.push({ def, note: notes.join('; '), threads: threadLines });
    // A target not met: say where the time goes (self time per function, node --cpu-prof).
    if (!row.met && def.text !== null) profiles.push(`- **${def.name}**: ${profileOf(def.name).join(', ') || 'no profile'}`);
    // After every row, so an interrupted run keeps what it measured.
    writeResults(outDir, machine, rows, extras, scalingTable(rows), profiles, baselineMb);
    console.log(`${fmtMs(row.gradlens_ms)} ms${row.peer_ms !== null ? ` vs ${row.peer} ${fmtMs(row.peer_ms)} ms on ${row.peer_threads} thread(s) (${fmtRatio(row.ratio)})` : ''}, peak ${row.peak_mb ?? '—'} MB, ${row.met ? 'met' : 'NOT met'}`);
  }
  peer?.close();
  writeResults(outDir, machine, rows, extras, scalingTable(rows), profiles, baselineMb);
  console.log(`\nbench: wrote ${relative(ROOT, join(outDir, 'results.md'))} and results.json beside it\n`);
  const md = (await import('node:fs')).readFileSync(join(outDir, 'results.md'), 'utf8');
  console.log(md.split('\n## Scaling')[0]);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
