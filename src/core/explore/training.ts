// "Train (SGD)": a few steps of gradient descent with momentum on every parameter, charting the
// loss, each parameter's gradient norm and its update/weight ratio (healthy near 1e-3, as the
// cs231n notes suggest). Gradient checks at initialisation can mislead; checking again after this
// burn-in is one click away.
import type { AnalysisSession } from '../analyze';
import { norm, Tensor } from '../tensor/tensor';
import { installResidentLeaves, residentLeafIds } from '../engine/residentLeaves';
import type { TrainingResult } from '../model';
import { Pacer, pacedChunks, TaskCancelled, trainableParams } from './region';
import type { TaskControl } from './landscape';

export interface TrainingOptions {
  steps: number;
  lr: number;
  momentum: number;
}

export interface TrainingOutcome {
  result: TrainingResult;
  /** The parameters after training, flattened (to re-run the checks at them). */
  params: Record<string, number[]>;
}

export async function train(
  session: AnalysisSession,
  opts: TrainingOptions,
  control: TaskControl & { partial?(r: TrainingResult): void },
): Promise<TrainingOutcome | 'cancelled' | string> {
  const started = performance.now();
  const { graph, execution: ex } = session;
  if (!graph || !ex || graph.root === null) return 'the file has no scalar root that ran; fix its errors first';
  const params = trainableParams(graph, ex);
  if (params.length === 0) return 'no parameter affects the root: there is nothing to train';
  const root = graph.root;
  // θ: each parameter's resident copy or a clone, made below between yields (21 MB of clones took
  // 100 ms on a 40-layer net: too long without one).
  const theta: Tensor[] = [];
  const velocity = params.map((p) => new Tensor(p.base.shape));
  const result: TrainingResult = {
    steps: opts.steps,
    lr: opts.lr,
    momentum: opts.momentum,
    losses: [],
    gradNorms: Object.fromEntries(params.map((p) => [p.name, []])),
    updateRatios: Object.fromEntries(params.map((p) => [p.name, []])),
    ms: 0,
  };
  let lastReport = performance.now();
  const pacer = new Pacer(() => control.cancelled());
  // Training overwrites the session's values and gradients: keep them to put back.
  const kept = { values: [...ex.values], saved: [...ex.saved], grads: ex.grads, edges: ex.keptEdgeGradients() };
  // A step reads its own run's results only: each pass reuses the buffers of the step before,
  // products' results in the kernel's memory.
  ex.recycleResults(true, true);
  let trained: Record<string, number[]> = {};
  const restores: (() => void)[] = [];
  try {
    // The leaves products read every step live in the kernel's memory for the run
    // (engine/residentLeaves.ts), a leaf at a time between yields (the first touch of the memory's
    // fresh pages costs about 3 ms a MB); a parameter's resident copy is its θ, updated in place.
    for (const id of residentLeafIds(graph)) {
      restores.push(installResidentLeaves(graph, [id]));
      await pacer.pace();
    }
    for (const p of params) {
      const init = graph.nodes[p.id].init as Tensor;
      theta.push(init !== p.base ? init : p.base.clone());
      await pacer.pace();
    }
    for (let step = 0; step < opts.steps; step++) {
      // The leaves read their value from `init` on every forward pass.
      params.forEach((p, k) => (graph.nodes[p.id].init = theta[k]));
      const issues = await ex.forwardPaced(() => pacer.pace());
      const loss = (ex.values[root] as Tensor).data[0];
      if (issues.length || !Number.isFinite(loss)) return `step ${step + 1}: the loss became ${Number.isFinite(loss) ? 'invalid' : String(loss)}; lower the learning rate`;
      // A gradient's NaN or Inf shows in the next step's loss, which stops the run: no scan of every
      // gradient; and no rule's published figures (records): a step reads only the gradients.
      await ex.backwardPaced(root, () => pacer.pace(), { detectNonFinite: false, records: false });
      result.losses.push(loss);
      for (let k = 0; k < params.length; k++) {
        const p = params[k];
        const g = (ex.grads[p.id] as Tensor).data;
        const v = velocity[k].data;
        const t = theta[k].data;
        await pacedChunks(v.length, pacer, (lo, hi) => {
          for (let i = lo; i < hi; i++) {
            v[i] = opts.momentum * v[i] - opts.lr * g[i];
            t[i] += v[i];
          }
        });
        result.gradNorms[p.name].push(norm(ex.grads[p.id] as Tensor));
        const w = norm(theta[k]);
        result.updateRatios[p.name].push(w > 0 ? norm(velocity[k]) / w : 0);
      }
      control.progress(step + 1, opts.steps);
      if (performance.now() - lastReport > 100) {
        lastReport = performance.now();
        control.partial?.({ ...result, ms: performance.now() - started });
        await pacer.yieldNow();
      }
    }
    trained = Object.fromEntries(params.map((p, k) => [p.name, Array.from(theta[k].data)]));
  } catch (e) {
    if (e instanceof TaskCancelled) return 'cancelled';
    throw e;
  } finally {
    // The session keeps the file's initial values and their results (before the resident memory
    // of the steps' results and leaves is handed back: nothing may read it after).
    params.forEach((p) => (graph.nodes[p.id].init = p.base));
    kept.values.forEach((v, i) => (ex.values[i] = v));
    kept.saved.forEach((v, i) => (ex.saved[i] = v));
    ex.grads = kept.grads;
    ex.restoreEdgeGradients(kept.edges);
    ex.recycleResults(false);
    for (const restore of restores.reverse()) restore();
    control.paced?.(pacer);
  }
  result.ms = performance.now() - started;
  return { result, params: trained };
}
