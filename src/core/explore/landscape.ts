// The loss landscape on a 2-D slice through parameter space, L(θ + a·d1 + b·d2), with random
// directions normalised filter by filter (Li et al., "Visualizing the Loss Landscape of Neural
// Nets", 2018): each filter of a direction gets the norm of the same filter of θ, so the picture
// is comparable across layers and scales. Biases get no direction (as in the paper).
import type { AnalysisSession } from '../analyze';
import { Prng } from '../engine/prng';
import { Tensor } from '../tensor/tensor';
import type { LandscapeResult } from '../model';
import { PACE_CHUNK, Pacer, pacedChunks, paramRegion, rootWith, TaskCancelled, trainableParams } from './region';

export interface LandscapeOptions {
  /** Points per axis (odd, so the centre is on the grid). */
  grid: number;
  /** The grid covers a, b ∈ [−span, span]. */
  span: number;
}

export interface TaskControl {
  progress(done: number, total: number): void;
  cancelled(): boolean;
  /** Told how the task shared its thread when it ends (tests and benchmarks read it). */
  paced?(p: Pacer): void;
}

/** Filters of a weight: output columns of [in, out], output filters of [F, C, kh, kw]. */
function filters(shape: readonly number[]): { count: number; index(i: number): number } | null {
  if (shape.length === 2) {
    const cols = shape[1];
    return { count: cols, index: (i) => i % cols };
  }
  if (shape.length >= 3) {
    const per = shape.slice(1).reduce((a, b) => a * b, 1);
    return { count: shape[0], index: (i) => Math.floor(i / per) };
  }
  return null;
}

export function filterNormalisedDirection(theta: Tensor, seed: number, stream: string): Tensor {
  const steps = directionSteps(theta, seed, stream);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** The same, a few thousand entries at a time, awaiting `pace()` in between (a weight can have millions). */
async function filterNormalisedDirectionPaced(theta: Tensor, seed: number, stream: string, pace: () => Promise<void>): Promise<Tensor> {
  const steps = directionSteps(theta, seed, stream);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await pace();
  }
}

function* directionSteps(theta: Tensor, seed: number, stream: string): Generator<void, Tensor> {
  const d = new Tensor(theta.shape);
  const f = filters(theta.shape);
  if (!f) return d; // biases and scalars: no direction
  const rng = new Prng(seed, stream);
  for (let i = 0; i < d.size; i++) {
    d.data[i] = rng.normal();
    if (i % PACE_CHUNK === PACE_CHUNK - 1) yield;
  }
  const dn = new Float64Array(f.count);
  const tn = new Float64Array(f.count);
  for (let i = 0; i < d.size; i++) {
    const k = f.index(i);
    dn[k] += d.data[i] * d.data[i];
    tn[k] += theta.data[i] * theta.data[i];
  }
  yield;
  for (let i = 0; i < d.size; i++) {
    const k = f.index(i);
    d.data[i] = dn[k] > 0 ? (d.data[i] * Math.sqrt(tn[k])) / Math.sqrt(dn[k]) : 0;
  }
  return d;
}

export async function lossLandscape(session: AnalysisSession, opts: LandscapeOptions, control: TaskControl): Promise<LandscapeResult | 'cancelled' | string> {
  const started = performance.now();
  const { graph, execution: ex } = session;
  if (!graph || !ex || graph.root === null) return 'the file has no scalar root that ran; fix its errors first';
  const params = trainableParams(graph, ex).filter((p) => p.base.rank >= 2);
  if (params.length === 0) return 'no weight matrix (a param of rank 2 or more) affects the root, so there is no landscape to draw';
  const seed = session.analysis.seed;
  const pacer = new Pacer(() => control.cancelled());
  const d1: Tensor[] = [];
  const d2: Tensor[] = [];
  try {
    // Drawing the directions is a pass over every weight: paced too.
    for (const p of params) {
      d1.push(await filterNormalisedDirectionPaced(p.base, seed, `landscape:d1:${p.name}`, () => pacer.pace()));
      d2.push(await filterNormalisedDirectionPaced(p.base, seed, `landscape:d2:${p.name}`, () => pacer.pace()));
    }
  } catch (e) {
    control.paced?.(pacer);
    if (e instanceof TaskCancelled) return 'cancelled';
    throw e;
  }
  const region = paramRegion(graph, params);
  const saved = region.map((id) => ex.values[id]);
  const work: Tensor[] = [];
  for (const p of params) {
    work.push(p.base.clone());
    await pacer.pace();
  }
  const n = opts.grid;
  const axis = Array.from({ length: n }, (_, i) => -opts.span + (2 * opts.span * i) / (n - 1));
  const losses: number[][] = [];
  try {
    for (let r = 0; r < n; r++) {
      const row: number[] = [];
      for (let c = 0; c < n; c++) {
        const a = axis[c];
        const b = axis[r];
        for (let k = 0; k < params.length; k++) {
          const w = work[k].data;
          const t = params[k].base.data;
          const [u, v] = [d1[k].data, d2[k].data];
          await pacedChunks(w.length, pacer, (lo, hi) => {
            for (let i = lo; i < hi; i++) w[i] = t[i] + a * u[i] + b * v[i];
          });
        }
        const L = await rootWith(graph, ex, params, work, region, pacer);
        row.push(Number.isFinite(L) ? L : NaN);
      }
      losses.push(row);
      control.progress((r + 1) * n, n * n);
      await pacer.yieldNow();
    }
  } catch (e) {
    if (e instanceof TaskCancelled) return 'cancelled';
    throw e;
  } finally {
    control.paced?.(pacer);
    params.forEach((p) => (ex.values[p.id] = p.base));
    region.forEach((id, k) => (ex.values[id] = saved[k]));
  }
  const mid = (n - 1) / 2;
  return {
    alphas: axis,
    betas: axis,
    losses,
    center: Number.isInteger(mid) ? losses[mid][mid] : NaN,
    params: params.map((p) => p.name),
    ms: performance.now() - started,
  };
}
