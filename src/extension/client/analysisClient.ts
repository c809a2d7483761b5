// The extension's side of the language server's own messages (src/shared/serverProtocol.ts):
// the Analysis for the views that show it, the values at the line ends, overrides, and the
// dashboard's tasks. Everything else (diagnostics, lenses, hovers, …) vscode-languageclient wires
// by itself. The whole Analysis crosses to the extension host only for a document a view shows
// (the dashboard, the sidebar trees), never on every keystroke of every file.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { Disposable } from '../disposable';
import type { Analysis, StepSweep } from '../../core';
import type { DeriveResult } from '../../core';
import type { GradCheckThresholds } from '../../core';
import type { ExportResult, ExportTarget } from '../../core';
import type { LandscapeResult, TrainingResult } from '../../shared/webviewProtocol';
import {
  analysisRequest,
  deriveRequest,
  didAnalyzeNotification,
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
  workerFailureNotification,
  type DidAnalyzeParams,
  type Overrides,
  type ServerStats,
} from '../../shared/serverProtocol';

export interface DocumentAnalysis {
  uri: vscode.Uri;
  version: number;
  analysis: Analysis;
  /** Wall-clock time of the run in the analysis worker. */
  ms: number;
  /** The verdict thresholds the gradient checks ran with (the hover, sidebar and dashboard show them). */
  thresholds: GradCheckThresholds;
}

export interface Task<T> {
  promise: Promise<T>;
  cancel(): void;
}

let nextToken = 1;

export class AnalysisClient extends Disposable {
  private readonly results = new Map<string, DocumentAnalysis>();
  private readonly overrideValues = new Map<string, Overrides>();
  private readonly analyzed = this.register(new vscode.EventEmitter<DocumentAnalysis>());
  /** A full Analysis arrived for a document a view shows. */
  readonly onDidAnalyze = this.analyzed.event;
  private readonly published = this.register(new vscode.EventEmitter<DidAnalyzeParams>());
  /** Any document's analysis is ready (values at the line ends, summary): every keystroke. */
  readonly onDidPublish = this.published.event;
  private readonly overridesChanged = this.register(new vscode.EventEmitter<vscode.Uri>());
  /** Re-seed, Set Dimension Sizes or a reset changed a document's overrides. */
  readonly onDidChangeOverrides = this.overridesChanged.event;
  /** Whether a view shows this document now (its Analysis is fetched when it changes). */
  isShown: (uri: vscode.Uri) => boolean = () => false;
  /** Why the server does not have this document (past the character cap: sizeGate.ts), if it does not. */
  heldBack: (uri: vscode.Uri) => string | undefined = () => undefined;

  constructor(
    readonly client: LanguageClient,
    log: vscode.OutputChannel,
  ) {
    super();
    this.register(
      client.onNotification(didAnalyzeNotification, (p) => {
        this.published.fire(p);
        const uri = vscode.Uri.parse(p.uri);
        // The views that show the whole Analysis wait for the finished one (the checks included).
        if (!p.phase && this.isShown(uri)) void this.fetch(uri).catch((e: Error) => log.appendLine(`[client] ${e.message}`));
      }),
    );
    // The server forgets a closed document's overrides.
    this.register(vscode.workspace.onDidCloseTextDocument((d) => this.overrideValues.delete(d.uri.toString())));
    this.register(
      client.onNotification(workerFailureNotification, (p) => {
        void vscode.window.showWarningMessage(`GradLens: ${p.message}. The analysis worker was restarted; see "GradLens: Show Output" for details.`);
      }),
    );
  }

  private async fetch(uri: vscode.Uri, forceChecks = false): Promise<DocumentAnalysis> {
    const refusal = this.heldBack(uri);
    if (refusal) throw new Error(`${vscode.workspace.asRelativePath(uri)}: ${refusal}`);
    const r = await this.client.sendRequest(analysisRequest, { uri: uri.toString(), forceChecks });
    if (!r) throw new Error(`${uri.toString()} is not open in the GradLens server`);
    const result: DocumentAnalysis = { uri, version: r.version, analysis: r.analysis, ms: r.ms, thresholds: r.thresholds };
    this.results.set(uri.toString(), result);
    this.analyzed.fire(result);
    return result;
  }

  /** The analysis of the document's current text (the server runs it now if needed). */
  analyzeNow(doc: vscode.TextDocument, opts: { forceChecks?: boolean } = {}): Promise<DocumentAnalysis> {
    return this.fetch(doc.uri, opts.forceChecks);
  }

  /** The last Analysis fetched for the document, if any. */
  get(uri: vscode.Uri): DocumentAnalysis | undefined {
    return this.results.get(uri.toString());
  }

  overrides(uri: vscode.Uri): Overrides {
    return this.overrideValues.get(uri.toString()) ?? { seed: null, dims: null };
  }

  /** Re-seed / Set Dimension Sizes for one document (null resets); the server runs it again. */
  async setOverrides(doc: vscode.TextDocument, o: { seed?: number | null; dims?: Record<string, number> | null }): Promise<DocumentAnalysis> {
    const now = await this.client.sendRequest(setOverridesRequest, { uri: doc.uri.toString(), ...o });
    this.overrideValues.set(doc.uri.toString(), now);
    this.overridesChanged.fire(doc.uri);
    return this.analyzeNow(doc);
  }

  derive(doc: vscode.TextDocument, gate: string): Promise<DeriveResult> {
    return this.client.sendRequest(deriveRequest, { uri: doc.uri.toString(), gate });
  }

  export(doc: vscode.TextDocument, target: ExportTarget, scriptName: string): Promise<ExportResult> {
    return this.client.sendRequest(exportRequest, { uri: doc.uri.toString(), target, scriptName });
  }

  sweep(doc: vscode.TextDocument, target: string, index: number[]): Promise<StepSweep | null> {
    return this.client.sendRequest(sweepRequest, { uri: doc.uri.toString(), target, index });
  }

  recheck(doc: vscode.TextDocument, paramValues: Record<string, number[]>): Promise<{ analysis: Analysis; thresholds: GradCheckThresholds }> {
    return this.client.sendRequest(recheckRequest, { uri: doc.uri.toString(), paramValues });
  }

  landscape(doc: vscode.TextDocument, grid: number, span: number, onProgress: (done: number, total: number) => void): Task<LandscapeResult | 'cancelled' | string> {
    const progressToken = `gradlens-${nextToken++}`;
    return this.task((token) => this.client.sendRequest(landscapeRequest, { uri: doc.uri.toString(), grid, span, progressToken }, token), [this.client.onProgress(taskProgress, progressToken, (p) => onProgress(p.done, p.total))]);
  }

  train(
    doc: vscode.TextDocument,
    o: { steps: number; lr: number; momentum: number },
    onProgress: (done: number, total: number, partial?: TrainingResult) => void,
  ): Task<{ result: TrainingResult; params: Record<string, number[]> } | 'cancelled' | string> {
    const progressToken = `gradlens-${nextToken++}`;
    const partialResultToken = `gradlens-${nextToken++}`;
    let total = o.steps;
    return this.task(
      (token) => this.client.sendRequest(trainRequest, { uri: doc.uri.toString(), ...o, progressToken, partialResultToken }, token),
      [
        this.client.onProgress(taskProgress, progressToken, (p) => {
          total = p.total;
          onProgress(p.done, p.total);
        }),
        this.client.onProgress(trainingPartial, partialResultToken, (partial) => onProgress(partial.losses.length, total, partial)),
      ],
    );
  }

  /** A request that `cancel()` stops with `$/cancelRequest`; its progress listeners end with it. */
  private task<T>(send: (token: vscode.CancellationToken) => Promise<T>, listeners: vscode.Disposable[]): Task<T> {
    const source = new vscode.CancellationTokenSource();
    const promise = send(source.token).finally(() => {
      for (const l of listeners) l.dispose();
      source.dispose();
    });
    return { promise, cancel: () => source.cancel() };
  }

  stats(reset = false): Promise<ServerStats> {
    return this.client.sendRequest(statsRequest, { reset });
  }

  /** Kills the analysis worker (tests use it to prove recovery). */
  killWorker(): Promise<void> {
    return this.client.sendRequest(killWorkerRequest);
  }
}
