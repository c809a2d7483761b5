// GradLens' own requests (src/shared/serverProtocol.ts): the whole Analysis for the views, the
// overrides of seed and dims, derive, export, the h sweep, and the dashboard's long tasks with
// `$/progress` reports and `$/cancelRequest` cancellation.
import { ResponseError, type CancellationToken } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import {
  analysisRequest,
  deriveRequest,
  exportRequest,
  killWorkerRequest,
  landscapeRequest,
  recheckRequest,
  setOverridesRequest,
  statsRequest,
  sweepRequest,
  taskProgress,
  trainingPartial,
  trainRequest,
  type DocumentParams,
} from '../../shared/serverProtocol';
import type { TrainingResult } from '../../shared/webviewProtocol';
import type { ServerContext } from '../context';
import { jsonSafeAnalysis } from '../../core';
import { analyzeOptions, checkOptions } from '../settings';
import { fileNameOf } from '../analysis/workerProtocol';
import { mainOptions } from '../analysis/valuesLane';

/** Error code of a request about a document the server does not have open. */
const UNKNOWN_DOCUMENT = -32001;

export function registerCustomRequests(ctx: ServerContext): void {
  const { connection, analyses, worker } = ctx;
  const documentOf = (p: DocumentParams): TextDocument => {
    const doc = ctx.documents.get(p.uri);
    if (!doc) throw new ResponseError(UNKNOWN_DOCUMENT, `GradLens: ${p.uri} is not open`);
    return doc;
  };
  const fileParams = (doc: TextDocument) => ({
    text: doc.getText(),
    fileName: fileNameOf(doc.uri),
    // The main worker's share of the element budget (the values lane may hold the rest beside it).
    options: mainOptions(analyzeOptions(ctx.settings(), analyses.overrides(doc.uri))),
  });
  const timeoutMs = () => ctx.settings().workerTimeoutMs;

  connection.onRequest(analysisRequest, async (p) => {
    const doc = ctx.documents.get(p.uri);
    if (!doc) return null;
    const r = await analyses.analyzeNow(doc, { forceChecks: p.forceChecks });
    return { uri: r.uri, version: r.version, analysis: jsonSafeAnalysis(r.analysis), ms: r.ms, thresholds: r.thresholds };
  });

  connection.onRequest(setOverridesRequest, (p) => {
    const doc = documentOf(p);
    analyses.setOverrides(doc.uri, p);
    analyses.schedule(doc, 0);
    return analyses.overrides(doc.uri);
  });

  connection.onRequest(deriveRequest, (p) => worker.request('derive', { text: documentOf(p).getText(), gate: p.gate }, timeoutMs()));

  connection.onRequest(exportRequest, (p) => {
    const doc = documentOf(p);
    const o = analyses.overrides(doc.uri);
    const seed = o.seed ?? ctx.settings().seed;
    return worker.request(
      'export',
      { target: p.target, text: doc.getText(), fileName: fileNameOf(doc.uri), scriptName: p.scriptName, ...(seed !== null ? { seed } : {}), ...(o.dims ? { dims: o.dims } : {}) },
      timeoutMs(),
    );
  });

  connection.onRequest(sweepRequest, (p) => worker.request('sweep', { ...fileParams(documentOf(p)), target: p.target, index: p.index }, timeoutMs()));

  connection.onRequest(landscapeRequest, (p, token) => {
    const task = worker.task('landscape', { ...fileParams(documentOf(p)), grid: p.grid, span: p.span }, 0, (done, total) => {
      if (p.progressToken !== undefined) void connection.sendProgress(taskProgress, p.progressToken, { done, total });
    });
    return cancellable(task, token);
  });

  connection.onRequest(trainRequest, (p, token) => {
    const task = worker.task('train', { ...fileParams(documentOf(p)), steps: p.steps, lr: p.lr, momentum: p.momentum }, 0, (done, total, partial) => {
      if (p.progressToken !== undefined) void connection.sendProgress(taskProgress, p.progressToken, { done, total });
      if (partial && p.partialResultToken !== undefined) void connection.sendProgress(trainingPartial, p.partialResultToken, partial as TrainingResult);
    });
    return cancellable(task, token);
  });

  // One recheck at a time per document: a newer one stops the older.
  const rechecks = new Map<string, () => void>();
  connection.onRequest(recheckRequest, (p, token) => {
    const doc = documentOf(p);
    rechecks.get(doc.uri)?.();
    // The settings' checks (thresholds, h, samples, budget) and limits, with the document's overrides, at the trained parameters.
    const settings = ctx.settings();
    const params = fileParams(doc);
    const task = worker.task('analyze', { ...params, options: { ...params.options, gradcheck: checkOptions(settings), paramValues: p.paramValues } }, timeoutMs());
    rechecks.set(doc.uri, task.cancel);
    return cancellable(task, token)
      .then((analysis) => ({ analysis: jsonSafeAnalysis(analysis), thresholds: settings.gradientCheck.thresholds }))
      .finally(() => {
        if (rechecks.get(doc.uri) === task.cancel) rechecks.delete(doc.uri);
      });
  });

  connection.onRequest(statsRequest, (p) => {
    const stats = { workerRestarts: worker.restarts, cancelledRuns: analyses.cancelledRuns, latencies: [...analyses.latencies] };
    if (p.reset) analyses.latencies.length = 0;
    return stats;
  });

  connection.onRequest(killWorkerRequest, () => worker.kill());
}

/** A worker task that `$/cancelRequest` stops between steps. */
function cancellable<T>(task: { promise: Promise<T>; cancel(): void }, token: CancellationToken): Promise<T> {
  const sub = token.onCancellationRequested(() => task.cancel());
  return task.promise.finally(() => sub.dispose());
}
