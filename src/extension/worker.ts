// The analysis worker: runs the core off the extension host's main thread, so typing never waits
// for a forward/backward pass or a gradient check.
import { parentPort } from 'node:worker_threads';
import { analyze } from '../core/analyze';
import { deriveGateInText } from '../core/checks/derive';
import type { WorkerRequest, WorkerResponse } from './workerProtocol';

function handle(req: WorkerRequest): unknown {
  switch (req.kind) {
    case 'analyze':
      return analyze(req.params.text, { ...req.params.options, fileName: req.params.fileName });
    case 'derive':
      return deriveGateInText(req.params.text, req.params.gate);
  }
}

parentPort?.on('message', (req: WorkerRequest) => {
  const started = performance.now();
  let res: WorkerResponse;
  try {
    res = { id: req.id, ok: true, result: handle(req), ms: performance.now() - started };
  } catch (e) {
    res = { id: req.id, ok: false, error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) };
  }
  parentPort?.postMessage(res);
});
