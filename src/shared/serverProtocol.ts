// GradLens' own messages on top of LSP, declared once for the server and every client. Everything
// LSP has a message for (document sync, diagnostics, lenses, hovers, inlay hints, code actions,
// completion, …) uses LSP itself; these carry what only GradLens' views need: the whole Analysis
// for the dashboard and the trees, the values at the line ends, the long tasks of the dashboard,
// and per-document overrides of the seed and the dimension sizes. A client that knows none of
// them (Neovim, Helix, Emacs) still gets every standard feature.
import { NotificationType, ProgressType, RequestType, RequestType0 } from 'vscode-languageserver-protocol';
import type { Analysis, AnalysisPhase, StepSweep } from '../core';
import type { GradCheckThresholds } from '../core';
import type { DeriveResult } from '../core';
import type { ExportResult, ExportTarget } from '../core';
import type { LandscapeResult, TrainingResult } from './webviewProtocol';

/** A document by its URI (as LSP spells it). */
export interface DocumentParams {
  uri: string;
}

/** The analysis of the document's current text (run now if needed). */
export interface AnalysisParams extends DocumentParams {
  /** Run the gradient checks even when the settings turn them off. */
  forceChecks?: boolean;
}

export interface AnalysisReply {
  uri: string;
  version: number;
  analysis: Analysis;
  /** Wall-clock time of the run in the analysis worker. */
  ms: number;
  /** The verdict thresholds the checks ran with (gradlens.gradientCheck.thresholds). */
  thresholds: GradCheckThresholds;
}

export const analysisRequest = new RequestType<AnalysisParams, AnalysisReply | null, void>('gradlens/analysis');

/** One line's text at its end: a statement's value and gradient, or a gate's verdict. */
export interface LineValue {
  /** 0-based line. */
  line: number;
  text: string;
}

/** What a status bar needs, without the Analysis. */
export interface AnalysisSummary {
  root: string | null;
  /** The root's value when it is a scalar that was computed. */
  rootValue: number | null;
  errors: number;
  warnings: number;
  checks: { fail: number; warn: number; pass: number };
  /** Set while the gradient checks still run (an early phase): `checks` counts none yet. */
  checking?: true;
  totalMs: number;
}

/**
 * Sent when a document's analysis is ready: small enough for every keystroke (the values at the
 * line ends and a summary); the Analysis itself is fetched with `gradlens/analysis` by the views
 * that show it.
 */
export interface DidAnalyzeParams {
  uri: string;
  version: number;
  summary: AnalysisSummary;
  lineValues: LineValue[];
  /** Edit → result latency for this text (ms), when an edit started it. */
  latencyMs: number | null;
  /**
   * An early phase of the analysis of this text: 'values' (values and gradients; the gradient
   * checks still run). Absent when the analysis is finished. (A 'shapes' phase, diagnostics without
   * values, is published as diagnostics only: the values shown stay the older text's until these come.)
   */
  phase?: AnalysisPhase;
}

export const didAnalyzeNotification = new NotificationType<DidAnalyzeParams>('gradlens/didAnalyze');

/** Per-document overrides of the file's seed and dims (Re-seed, Set Dimension Sizes); null resets. */
export interface OverridesParams extends DocumentParams {
  seed?: number | null;
  dims?: Record<string, number> | null;
}

export interface Overrides {
  seed: number | null;
  dims: Record<string, number> | null;
}

export const setOverridesRequest = new RequestType<OverridesParams, Overrides, void>('gradlens/setOverrides');

export const deriveRequest = new RequestType<DocumentParams & { gate: string }, DeriveResult, void>('gradlens/derive');

export interface ExportParams extends DocumentParams {
  target: ExportTarget;
  scriptName: string;
}

export const exportRequest = new RequestType<ExportParams, ExportResult, void>('gradlens/export');

export const sweepRequest = new RequestType<DocumentParams & { target: string; index: number[] }, StepSweep | null, void>('gradlens/sweep');

/** Progress of a long task, reported with LSP's `$/progress` on the token the client passed. */
export interface TaskProgress {
  done: number;
  total: number;
}

export const taskProgress = new ProgressType<TaskProgress>();

export interface LandscapeParams extends DocumentParams {
  grid: number;
  span: number;
  /** Where `$/progress` reports go (a token the client chose). */
  progressToken?: string;
}

export const landscapeRequest = new RequestType<LandscapeParams, LandscapeResult | 'cancelled' | string, void>('gradlens/landscape');

export interface TrainParams extends DocumentParams {
  steps: number;
  lr: number;
  momentum: number;
  progressToken?: string;
  /** Where the partial results (the losses so far) go, with `$/progress`. */
  partialResultToken?: string;
}

export const trainingPartial = new ProgressType<TrainingResult>();

export const trainRequest = new RequestType<TrainParams, { result: TrainingResult; params: Record<string, number[]> } | 'cancelled' | string, void>('gradlens/train');

/** Figures of the server for tests and benchmarks (not a user feature). */
export interface ServerStats {
  workerRestarts: number;
  cancelledRuns: number;
  /** Recent edit → result latencies in the server (ms), newest last. */
  latencies: number[];
}

export const statsRequest = new RequestType<{ reset?: boolean }, ServerStats, void>('gradlens/_stats');

/** Kills the analysis worker (tests use it to prove recovery). */
export const killWorkerRequest = new RequestType0<void, void>('gradlens/_killWorker');

/** The server reports a failed analysis worker once (the client shows it as a warning). */
export const workerFailureNotification = new NotificationType<{ message: string; restarts: number }>('gradlens/workerFailure');

/** The gradient checks at other parameter values (after training in the dashboard), with the document's overrides. */
export const recheckRequest = new RequestType<DocumentParams & { paramValues: Record<string, number[]> }, { analysis: Analysis; thresholds: GradCheckThresholds }, void>('gradlens/recheck');
