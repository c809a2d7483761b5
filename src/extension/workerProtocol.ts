// Messages between the extension host and the analysis worker (worker_threads). One request,
// one response, matched by id; each kind names its result type.
import type { Analysis } from '../core/analysis';
import type { AnalyzeOptions } from '../core/analyze';
import type { DeriveResult } from '../core/checks/derive';

export interface WorkerCalls {
  analyze: { params: { text: string; fileName: string; options: AnalyzeOptions }; result: Analysis };
  derive: { params: { text: string; gate: string }; result: DeriveResult };
}

export type WorkerKind = keyof WorkerCalls;

export type WorkerRequest = { [K in WorkerKind]: { id: number; kind: K; params: WorkerCalls[K]['params'] } }[WorkerKind];

export type WorkerResponse = { id: number; ok: true; result: unknown; ms: number } | { id: number; ok: false; error: string };
