// Connects one webview (panel or sidebar view) to the analysis: sends the active file's
// analysis, validates every message that comes back, and runs what it asks for.
import * as vscode from 'vscode';
import { tensorDetail } from '../../shared/dashboardModel';
import { dashboardUpdate, parseFromWebview, type DebugView, type TaskKind, type ToWebview } from '../../shared/webviewProtocol';
import type { Analysis, GradCheckThresholds } from '../../core';
import type { AnalysisClient, DocumentAnalysis } from '../client/analysisClient';
import { LANGUAGE_ID } from '../client/startClient';
import { toRange } from '../convert';
import { Disposable } from '../disposable';
import { DashboardTasks } from './tasks';

export class WebviewController extends Disposable {
  readonly tasks: DashboardTasks;
  private uri: vscode.Uri | undefined;
  private ready = false;
  private queue: ToWebview[] = [];

  constructor(
    private readonly webview: vscode.Webview,
    private readonly service: AnalysisClient,
    private readonly log: vscode.OutputChannel,
    initial?: vscode.Uri,
  ) {
    super();
    this.tasks = this.register(new DashboardTasks(service, (m) => this.post(m)));
    this.uri = initial;
    for (const d of [
      webview.onDidReceiveMessage((raw) => this.receive(raw)),
      service.onDidAnalyze((r) => {
        if (this.uri && r.uri.toString() === this.uri.toString()) this.send(r);
      }),
      vscode.window.onDidChangeActiveTextEditor((e) => {
        // Follow the active .grad editor; keep the last one when focus moves elsewhere.
        if (e?.document.languageId === LANGUAGE_ID) this.show(e.document.uri);
      }),
      // The editor's cursor selects the node under it in the graph.
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (!this.uri || e.textEditor.document.uri.toString() !== this.uri.toString()) return;
        const sel = e.selections[0];
        this.post({ type: 'cursor', range: { start: { line: sel.start.line, character: sel.start.character }, end: { line: sel.end.line, character: sel.end.character } } });
      }),
    ])
      this.register(d);
  }

  get shownUri(): vscode.Uri | undefined {
    return this.uri;
  }

  /** Where the debugger is, when it debugs the file shown here (null: the session ended). */
  followDebugger(view: DebugView | null): void {
    if (view && this.uri?.fsPath !== view.program) return;
    this.post({ type: 'debug', view });
  }

  /** The task whose tab was last shown on request (tests read it: the webview's tabs are not readable from the host). */
  shownTask: TaskKind | null = null;

  post(m: ToWebview): void {
    if (m.type === 'showTask') this.shownTask = m.task;
    if (!this.ready) {
      this.queue.push(m);
      return;
    }
    void this.webview.postMessage(m);
  }

  /** What the webview is shown: the slim model, bounded whatever the file (tensors come with `tensor`). */
  private shownAnalysis: { uri: string; version: number; analysis: Analysis } | null = null;

  private send(r: DocumentAnalysis): void {
    this.update(r.uri.toString(), r.version, r.analysis, r.thresholds);
  }

  private update(uri: string, version: number, analysis: Analysis, thresholds: GradCheckThresholds): void {
    this.shownAnalysis = { uri, version, analysis };
    this.post(dashboardUpdate(uri, version, analysis, thresholds));
  }

  /** Shows a file's analysis (running it if needed). */
  show(uri: vscode.Uri | undefined): void {
    this.uri = uri;
    if (!uri) {
      this.post({ type: 'empty', reason: 'Open a .grad file to see its computational graph, gradients and checks.' });
      return;
    }
    const r = this.service.get(uri);
    if (r) this.send(r);
    else void vscode.workspace.openTextDocument(uri).then((d) => this.service.analyzeNow(d));
  }

  private async document(): Promise<vscode.TextDocument | undefined> {
    return this.uri ? vscode.workspace.openTextDocument(this.uri) : undefined;
  }

  private async receive(raw: unknown): Promise<void> {
    const msg = parseFromWebview(raw);
    if (!msg) {
      this.log.appendLine(`[webview] ignored a malformed message: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    if (msg.type === 'ready') {
      this.ready = true;
      const q = this.queue.splice(0);
      if (!q.some((m) => m.type === 'update' || m.type === 'empty')) this.show(this.uri);
      for (const m of q) void this.webview.postMessage(m);
      return;
    }
    if (msg.type === 'tensor') {
      // From the analysis the webview's model was made from (not a newer one: the reply says which).
      const shown = this.shownAnalysis;
      if (shown) this.post({ type: 'tensor', uri: shown.uri, version: shown.version, name: msg.name, detail: tensorDetail(shown.analysis, msg.name) });
      return;
    }
    const doc = await this.document();
    if (!doc) return;
    switch (msg.type) {
      case 'reveal': {
        const editor = await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, preserveFocus: false });
        const range = toRange(msg.range);
        editor.selection = new vscode.Selection(range.start, range.end);
        editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
        return;
      }
      case 'runLandscape':
        this.tasks.landscape(doc, msg.grid, msg.span);
        return;
      case 'runTraining':
        this.tasks.training(doc, msg.steps, msg.lr, msg.momentum);
        return;
      case 'cancel':
        this.tasks.cancel(msg.task);
        return;
      case 'sweep':
        await this.tasks.sweep(doc, msg.target, msg.index);
        return;
      case 'recheck': {
        const params = this.tasks.trainedParams;
        if (!params) return;
        const { analysis: a, thresholds } = await this.service.recheck(doc, params);
        this.update(doc.uri.toString(), doc.version, a, thresholds);
        const failed = a.gradchecks.filter((c) => c.verdict === 'fail').length;
        void vscode.window.showInformationMessage(`GradLens: gradient checks after training: ${a.gradchecks.length - failed} passed, ${failed} failed.`);
        return;
      }
    }
  }
}
