// The analysis worker: runs the core off the language server's thread (and so off the extension
// host's), so typing, completion and hovers never wait for a forward/backward pass or a gradient
// check. Every task can be cancelled mid-way: it asks
// `cancelled()` between steps.
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { analyze, analyzeSession, newResultPool } from '../../core';
import { CheckCache } from '../../core';
import { deriveGateInText } from '../../core';
import { exportScript } from '../../core';
import { stepSweep } from '../../core';
import { lossLandscape } from '../../core';
import { train } from '../../core';
import { ravel } from '../../core';
import { nodeMemoryProbe } from './memoryProbe';
import type { WorkerRequest, WorkerResponse } from './workerProtocol';

// The extension writes the id of a cancelled request into slot id % length of this shared
// memory: it reaches a synchronous analysis, which a message would reach only after it ended.
const cancelSlots = (workerData as { cancelSlots?: Int32Array } | null)?.cancelSlots;
// The checks' worker runs at a lower priority than the editor (on Linux a nice value is per
// thread): seconds of gradient checks then never slow a keystroke's way to the screen — the
// renderer, the extension host, the values lane. Where it cannot be set, it runs as it is.
const niceness = (workerData as { niceness?: number } | null)?.niceness ?? 0;
if (niceness > 0) {
  try {
    // Relative to the thread's own (the editor's, inherited): an editor that already runs niced
    // keeps the checks below it.
    setPriority(0, Math.min(19, getPriority(0) + niceness));
  } catch {
    // not permitted here: same priority as the editor
  }
}
// Gradient checks kept across keystrokes (and documents: keys are content, not files), so an
// edit re-runs only the checks it can change.
const checkCache = new CheckCache();
// The worker's own typed arrays (Node counts them per isolate), which V8's heap limit does not
// cover: past the budget a run stops with a `too-large` error instead of growing the process.
const memory = nodeMemoryProbe();

// The buffers of the last recycling run's results (this worker's lane: the checks lane's or the
// values lane's, each in its own worker): its next run takes them instead of allocating, zeroing,
// faulting in and collecting a net's values and gradients again at every keystroke. A result is
// copied out to the server (postMessage) before the next run starts. Past RECYCLE_MAX_BYTES they
// are let go: a big net's run is not dominated by its allocations, and the worker should not hold
// a big run's memory while idle.
// Resident: the results products touch and the leaves they read live in the kernels' memory
// (core/tensor/resident.ts), read and written there without copies; the Analysis posted holds
// copies only, so no view of that shared memory leaves this thread. At most RECYCLE_MAX_BYTES of
// them: a wasm memory never shrinks, and the worker should not keep a big run's memory while idle.
const RECYCLE_MAX_BYTES = 32 * 1024 * 1024;
const resultPool = newResultPool(true, RECYCLE_MAX_BYTES);

function post(res: WorkerResponse): void {
  parentPort?.postMessage(res);
}

async function handle(req: WorkerRequest): Promise<unknown> {
  const control = {
    progress: (done: number, total: number) => post({ id: req.id, progress: { done, total } }),
    cancelled: () => cancelSlots !== undefined && Atomics.load(cancelSlots, req.id % cancelSlots.length) === req.id,
  };
  switch (req.kind) {
    case 'analyze': {
      // The early phases go out as progress (done 0 / 1, partial: the snapshot), before the checks end.
      const recycle = req.params.recycleResults === true;
      const result = analyze(req.params.text, {
        ...req.params.options,
        fileName: req.params.fileName,
        checkCache,
        isCancelled: control.cancelled,
        memory,
        onPhase: (_phase, snapshot) => post({ id: req.id, progress: { done: 0, total: 1, partial: snapshot } }),
        ...(recycle ? { resultPool } : {}),
      });
      if (!recycle || resultPool.heldBytes() > RECYCLE_MAX_BYTES) resultPool.clear();
      return result;
    }
    case 'derive':
      return deriveGateInText(req.params.text, req.params.gate);
    case 'export': {
      const { target, text, ...options } = req.params;
      return exportScript(target, text, options);
    }
    case 'sweep': {
      const s = analyzeSession(req.params.text, { ...req.params.options, gradcheck: false, memory });
      const id = s.graph?.named.get(req.params.target);
      if (!s.graph || !s.execution || id === undefined) return null;
      return stepSweep(s.graph, s.execution, req.params.target, ravel(req.params.index, s.graph.nodes[id].sizes));
    }
    case 'landscape': {
      const s = analyzeSession(req.params.text, { ...req.params.options, gradcheck: false, memory });
      return lossLandscape(s, { grid: req.params.grid, span: req.params.span }, control);
    }
    case 'train': {
      const s = analyzeSession(req.params.text, { ...req.params.options, gradcheck: false, memory });
      return train(s, req.params, { ...control, partial: (r) => post({ id: req.id, progress: { done: r.losses.length, total: r.steps, partial: r } }) });
    }
  }
}

parentPort?.on('message', (req: WorkerRequest) => {
  // The time limit counts from here, not from when the request was queued behind another.
  post({ id: req.id, started: true });
  const started = performance.now();
  handle(req)
    .then((result) => post({ id: req.id, ok: true, result, ms: performance.now() - started }))
    .catch((e: unknown) => post({ id: req.id, ok: false, error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) }));
});
