// Connects one webview (panel or sidebar view) to the analysis: sends the active file's
// analysis, validates every message that comes back, and runs what it asks for.
import * as vscode from 'vscode';
import { parseFromWebview, type DebugView, type ToWebview } from '../../shared/webviewProtocol';
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

  post(m: ToWebview): void {
    if (!this.ready) {
      this.queue.push(m);
      return;
    }
    void this.webview.postMessage(m);
  }

  private send(r: DocumentAnalysis): void {
    this.post({ type: 'update', state: { uri: r.uri.toString(), version: r.version, analysis: r.analysis, thresholds: r.thresholds } });
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
        this.post({ type: 'update', state: { uri: doc.uri.toString(), version: doc.version, analysis: a, thresholds } });
        const failed = a.gradchecks.filter((c) => c.verdict === 'fail').length;
        void vscode.window.showInformationMessage(`GradLens: gradient checks after training: ${a.gradchecks.length - failed} passed, ${failed} failed.`);
        return;
      }
    }
  }
}
