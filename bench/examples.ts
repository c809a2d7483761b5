// The `examples` row (issue 17: "the examples' own sizes: GradLens ≤ 1.0× PyTorch"): every example
// in examples/ at the sizes it declares, against the PyTorch script `gradlens export --torch` writes
// for it. GradLens runs the forward and backward loop of the other pass rows (workloads.ts); the
// peer runs the script's own network section and `loss.backward()` (bench/torch_peer.py,
// `exported`), its leaves and gates defined once, at the peer's best of 1 and all threads. Per
// example, rounds alternate the two sides; the row reports the slowest example against its peer.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportScript } from '../src/core/export';
import type { Peer } from './peer';
import { metOf, round, type Row } from './report';
import { timeAlternating } from './timing';
import { median, prepare, type Prepared, type WorkloadDef } from './workloads';

export interface ExampleTiming {
  name: string;
  gradlensMs: number;
  /** The peer at its best thread count, and that count (null: no peer, or it failed). */
  peerMs: number | null;
  peerThreads: number | null;
  ratio: number | null;
  /** The loss agrees with the peer's to 1e-9 (relative). */
  sameLoss: boolean | null;
  error?: string;
}

/** examples/*.grad, by name (the broken ones are in examples/broken/, not here). */
export function exampleFiles(root: string): string[] {
  const dir = join(root, 'examples');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.grad'))
    .sort()
    .map((f) => join(dir, f));
}

/** The pass loop of one example (the forward and backward of every pass row). */
export function prepareExample(file: string): Prepared {
  const name = file.split('/').pop() as string;
  const def: WorkloadDef = { name, family: 'deep', what: name, text: readFileSync(file, 'utf8'), peer: 'torch', target: 1 };
  return prepare(def);
}

/** Writes the example's exported PyTorch script (and its .npz) and the peer's manifest into `dir`. */
export function exportFor(file: string, dir: string): string | null {
  const name = file.split('/').pop() as string;
  const out = exportScript('torch', readFileSync(file, 'utf8'), { fileName: name });
  if (!out.ok) return out.error;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of out.files) writeFileSync(join(dir, f.path), 'content' in f ? f.content : f.bytes);
  const script = out.files.find((f) => f.path.endsWith('.py'))?.path;
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ family: 'exported', leaves: {}, script }));
  return null;
}

/** Each example against its exported script, rounds alternating the sides. */
export async function measureExamples(root: string, tmp: string, peer: Peer | null, threads: number[], quick: boolean): Promise<ExampleTiming[]> {
  const out: ExampleTiming[] = [];
  for (const file of exampleFiles(root)) {
    const name = file.split('/').pop() as string;
    let p: Prepared | null = null;
    try {
      p = prepareExample(file);
      const dir = join(tmp, 'examples', name.replace(/\.grad$/, ''));
      const problem = peer ? exportFor(file, dir) : 'no peer';
      const ask = async (req: Record<string, unknown>) => {
        const a = await (peer as Peer).ask({ cmd: 'time', workload: `examples/${name}`, dir, impl: 'torch', ...req });
        if (a.error) throw new Error(`torch peer: ${a.error}`);
        return a;
      };
      // Most examples take microseconds a pass: shorter rounds than the pass rows', more repetitions.
      const t = await timeAlternating(p.run, problem ? null : ask, threads, { rounds: quick ? 2 : 5, budgetMs: quick ? 40 : 100, warmMs: quick ? 100 : 300, maxReps: 2000 });
      const gMs = median(t.gradlens);
      const best = [...t.peer].map(([n, xs]) => [n, median(xs)] as const).sort((x, y) => x[1] - y[1])[0] ?? null;
      const loss = p.loss();
      const peerLoss = (t.peerInfo?.loss as number | undefined) ?? null;
      out.push({
        name,
        gradlensMs: gMs,
        peerMs: best ? best[1] : null,
        peerThreads: best ? best[0] : null,
        ratio: best ? gMs / best[1] : null,
        sameLoss: loss !== null && peerLoss !== null ? Math.abs(loss - peerLoss) <= 1e-9 * Math.max(1, Math.abs(peerLoss)) : null,
        ...(problem && peer ? { error: `not exported: ${problem}` } : {}),
      });
    } catch (e) {
      out.push({ name, gradlensMs: NaN, peerMs: null, peerThreads: null, ratio: null, sameLoss: null, error: e instanceof Error ? e.message : String(e) });
    } finally {
      p?.dispose?.();
    }
  }
  return out;
}

/**
 * The row: the slowest example against its peer (the target holds for every example), and a note
 * with each example's figures and the geometric mean of the ratios.
 */
export function examplesRow(def: WorkloadDef, timings: ExampleTiming[], peer: { label: string | null; blas: string | null }, peakMb: number | null): { row: Row; note: string } {
  const timed = timings.filter((t) => t.ratio !== null);
  const worst = timed.sort((a, b) => (b.ratio as number) - (a.ratio as number))[0] ?? null;
  const failed = timings.filter((t) => t.ratio === null);
  const geomean = timed.length ? Math.exp(timed.reduce((a, t) => a + Math.log(t.ratio as number), 0) / timed.length) : null;
  const row: Row = {
    name: def.name,
    gradlens_ms: worst ? round(worst.gradlensMs, 3) : null,
    peer: worst ? peer.label : null,
    peer_blas: worst ? peer.blas : null,
    peer_threads: worst?.peerThreads ?? null,
    peer_ms_by_threads: null,
    peer_ms: worst ? round(worst.peerMs, 3) : null,
    ratio: worst ? round(worst.ratio, 4) : null,
    gradlens_cpu_ms: null,
    peer_cpu_ms: null,
    cpu_ratio: null,
    target: def.target,
    met: false,
    peak_mb: round(peakMb, 1),
  };
  // Met when every example was timed against its peer, with the same loss, each at or under the target.
  row.met = metOf(def, row.gradlens_ms, row.ratio, peakMb) && failed.length === 0 && timed.every((t) => t.sameLoss === true);
  const each = [...timings]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((t) => (t.ratio === null ? `${t.name}: ${t.error ?? 'not timed'}` : `${t.name} ${micro(t.gradlensMs)} / ${micro(t.peerMs as number)} µs ${t.ratio.toFixed(2)}×${t.sameLoss ? '' : ' (**loss differs**)'}`));
  const head = worst ? `the slowest example against its peer: ${worst.name}; ${timed.length} of ${timings.length} examples timed, geometric mean of the ratios ${geomean?.toFixed(3)}×` : 'no example timed';
  return { row, note: `${head}; each, GradLens / torch (exported script, its best thread count) per forward+backward: ${each.join(', ')}` };
}

/** Milliseconds as microseconds, about three significant digits (most examples take well under 1 ms). */
function micro(ms: number): string {
  const us = ms * 1000;
  return us.toFixed(us >= 100 ? 0 : us >= 10 ? 1 : 2);
}
