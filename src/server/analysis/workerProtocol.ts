// Messages between the language server and its analysis worker (worker_threads). A request gets
// one response, matched by id; long tasks (landscape, training) also send progress messages. A
// request is cancelled through shared memory, not a message (see workerClient.ts). Each kind names
// its parameters and result type.
import type { Analysis, StepSweep } from '../../core';
import type { AnalyzeOptions } from '../../core';
import type { DeriveResult } from '../../core';
import type { ExportResult, ExportTarget } from '../../core';
import type { LandscapeResult, TrainingResult } from '../../shared/webviewProtocol';

/** The file name an analysis reports for a document (the last segment of its URI). */
export function fileNameOf(uri: string): string {
  return uri.split('/').pop() ?? 'file.grad';
}

interface FileParams {
  text: string;
  fileName: string;
  options: AnalyzeOptions;
}

export interface WorkerCalls {
  /**
   * `recycleResults`: the run takes the buffers of the last such run's values and gradients (both
   * lanes: a result is copied out before the worker runs again; see worker.ts).
   */
  analyze: { params: FileParams & { recycleResults?: boolean }; result: Analysis };
  derive: { params: { text: string; gate: string }; result: DeriveResult };
  export: { params: { target: ExportTarget; text: string; fileName: string; scriptName: string; seed?: number; dims?: Record<string, number> }; result: ExportResult };
  sweep: { params: FileParams & { target: string; index: number[] }; result: StepSweep | null };
  landscape: { params: FileParams & { grid: number; span: number }; result: LandscapeResult | 'cancelled' | string };
  train: {
    params: FileParams & { steps: number; lr: number; momentum: number };
    result: { result: TrainingResult; params: Record<string, number[]> } | 'cancelled' | string;
  };
}

export type WorkerKind = keyof WorkerCalls;

export type WorkerRequest = { [K in WorkerKind]: { id: number; kind: K; params: WorkerCalls[K]['params'] } }[WorkerKind];

export type WorkerResponse =
  | { id: number; started: true }
  | { id: number; ok: true; result: unknown; ms: number }
  | { id: number; ok: false; error: string }
  | { id: number; progress: { done: number; total: number; partial?: unknown } };
