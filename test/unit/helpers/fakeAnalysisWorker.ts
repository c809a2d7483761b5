// A fake analysis worker for the language server's scheduling tests: its analyses finish (or send
// their early phases) when the test says so, computed by the real core.
import type { Analysis } from '../../../src/core/model';
import { analyze } from '../../../src/core/analyze';
import type { AnalyzeOptions } from '../../../src/core/analyze';
import type { WorkerClient } from '../../../src/server/analysis/workerClient';
import { DocumentAnalyses, type DocumentText } from '../../../src/server/documentAnalyses';
import { ValuesLane } from '../../../src/server/analysis/valuesLane';
import { settingsFrom } from '../../../src/server/settings';

export interface Call {
  text: string;
  options: AnalyzeOptions;
  cancelled: boolean;
  finish(): void;
  fail(e: Error): void;
  /** Sends the run's early snapshot of `phase` as the worker does (a progress message). */
  early(phase: 'shapes' | 'values'): void;
}

/** A worker whose analyses finish when the test says so (or at once with `auto`). */
export function fakeWorker(auto = false): { worker: WorkerClient; calls: Call[]; prestarts(): number } {
  const calls: Call[] = [];
  let prestarts = 0;
  const worker = {
    task(_kind: string, params: { text: string; options: AnalyzeOptions }, _timeoutMs: number, onProgress?: (done: number, total: number, partial: unknown) => void) {
      let resolve!: (a: Analysis) => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<Analysis>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      const call: Call = {
        text: params.text,
        options: params.options,
        cancelled: false,
        finish: () => {
          const a = analyze(params.text, { ...params.options, gradcheck: false });
          resolve(call.cancelled ? { ...a, cancelled: true } : a);
        },
        fail: (e) => reject(e),
        early: (phase) => {
          let snapshot: Analysis | undefined;
          analyze(params.text, { ...params.options, onPhase: (p, a) => (snapshot ??= p === phase ? a : undefined) });
          if (!snapshot) throw new Error(`no ${phase} phase`);
          onProgress?.(0, 1, snapshot);
        },
      };
      calls.push(call);
      if (auto) queueMicrotask(call.finish);
      return { promise, cancel: () => (call.cancelled = true) };
    },
    prestart() {
      prestarts++;
    },
    busy: false,
  } as unknown as WorkerClient;
  return { worker, calls, prestarts: () => prestarts };
}

export function doc(text: string, version: number, uri = 'file:///a.grad'): DocumentText {
  return { uri, version, getText: () => text };
}

export const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A document scheduler with a fake worker and a fake values lane (checks start `checksDelayMs` after the lane's values). */
export function withLane(checksDelayMs = 0) {
  const main = fakeWorker();
  const laneWorker = fakeWorker();
  const lane = new ValuesLane(laneWorker.worker, checksDelayMs);
  // The lane's runs of documents, without its warm-up on a small net.
  const laneCalls = () => laneWorker.calls.filter((c) => !c.text.includes('dims N = 4, D = 8'));
  const analyses = new DocumentAnalyses(main.worker, () => settingsFrom({ debounceMs: 0 }), () => undefined, undefined, lane);
  const published: string[] = [];
  analyses.onDidAnalyze((r) => published.push(`${r.version}:${r.analysis.phase ?? 'done'}`));
  return { main, laneWorker, lane, laneCalls, analyses, published };
}
