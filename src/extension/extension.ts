// Extension entry point: starts the analysis service (a worker) and registers the thin adapters
// that turn its results into diagnostics, lenses, hovers, hints, fixes, views and commands.
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { AnalysisService, LANGUAGE_ID, type DocumentAnalysis } from './analysisService';
import { registerCommands } from './commands';
import { DashboardPanel } from './dashboard/panel';
import { SIDEBAR_VIEW_ID, SidebarDashboard } from './dashboard/sidebarView';
import { CodeActionProvider } from './providers/codeActions';
import { CodeLensProvider } from './providers/codeLens';
import { DiagnosticsPublisher } from './providers/diagnostics';
import { HoverProvider } from './providers/hover';
import { InlayHintsProvider } from './providers/inlayHints';
import { InlineValues } from './providers/inlineValues';
import { ChecksTree } from './views/checksTree';
import { GraphTree } from './views/graphTree';
import { StatusBar } from './views/statusBar';

export interface GradLensApi {
  service: AnalysisService;
  inlineValues: InlineValues;
  /** Figures for tests and benchmarks: how long the main thread stalled, edit → result latencies. */
  stats(): RuntimeStats;
}

export interface RuntimeStats {
  /** Longest event-loop delay of the extension host since activation (or the last reset), ms. */
  loopDelayMaxMs: number;
  loopDelayP99Ms: number;
  /** Median time from an edit to its analysis result, ms (the editor's own debounce included). */
  editToResultMedianMs: number | null;
  workerRestarts: number;
  /** Worker restarts since the last reset (a restart in a timed window explains a slow result). */
  workerRestartsSinceReset: number;
  /** Longest garbage-collection pause of the extension host since the last reset, ms (all of its code, not only GradLens'). */
  gcMaxPauseMs: number;
  /** Analyses stopped mid-way because a newer text arrived, since activation. */
  cancelledRuns: number;
}

const SELECTOR: vscode.DocumentSelector = { language: LANGUAGE_ID };

export function activate(context: vscode.ExtensionContext): GradLensApi {
  const log = vscode.window.createOutputChannel('GradLens');
  const service = new AnalysisService(vscode.Uri.joinPath(context.extensionUri, 'dist', 'worker.js').fsPath, log);
  const diagnostics = new DiagnosticsPublisher(service, vscode.Uri.joinPath(context.extensionUri, 'docs', 'troubleshooting.md'));
  const graphTree = new GraphTree(service);
  const checksTree = new ChecksTree(service);
  const statusBar = new StatusBar(service);
  const inlineValues = new InlineValues(service);
  const codeLenses = new CodeLensProvider(service);
  const inlayHints = new InlayHintsProvider(service);
  const graphView = vscode.window.createTreeView('gradlens.graph', { treeDataProvider: graphTree, showCollapseAll: true });
  const checksView = vscode.window.createTreeView('gradlens.checks', { treeDataProvider: checksTree, showCollapseAll: true });

  const followEditor = (editor: vscode.TextEditor | undefined) => {
    const isGrad = editor?.document.languageId === LANGUAGE_ID;
    void vscode.commands.executeCommand('setContext', 'gradlens.activeGrad', isGrad);
    if (!isGrad || !editor) {
      statusBar.show(undefined, false);
      return;
    }
    const r: DocumentAnalysis | undefined = service.get(editor.document.uri);
    graphTree.show(r);
    checksTree.show(r);
    statusBar.show(r, true);
  };

  context.subscriptions.push(
    log,
    service,
    diagnostics,
    inlineValues,
    statusBar,
    graphView,
    checksView,
    codeLenses,
    vscode.languages.registerCodeLensProvider(SELECTOR, codeLenses),
    vscode.languages.registerHoverProvider(SELECTOR, new HoverProvider(service)),
    inlayHints,
    vscode.languages.registerInlayHintsProvider(SELECTOR, inlayHints),
    vscode.languages.registerCodeActionsProvider(SELECTOR, new CodeActionProvider(service, diagnostics), { providedCodeActionKinds: CodeActionProvider.kinds }),
    vscode.window.onDidChangeActiveTextEditor(followEditor),
    service.onDidAnalyze((r) => {
      if (vscode.window.activeTextEditor?.document.uri.toString() === r.uri.toString()) statusBar.show(r, true);
    }),
    vscode.workspace.onDidCloseTextDocument((d) => {
      if (d.languageId === LANGUAGE_ID) diagnostics.clear(d.uri);
    }),
    vscode.commands.registerCommand('gradlens.showOutput', () => log.show()),
    DashboardPanel.registerSerializer(context.extensionUri, service, log),
    vscode.window.registerWebviewViewProvider(SIDEBAR_VIEW_ID, new SidebarDashboard(context.extensionUri, service, log)),
    vscode.commands.registerCommand('gradlens.openDashboard', (uri?: vscode.Uri) => {
      DashboardPanel.show(context.extensionUri, service, log, uri instanceof vscode.Uri ? uri : undefined);
    }),
    ...registerCommands({
      service,
      extensionUri: context.extensionUri,
      extensionId: context.extension.id,
      log,
      showInGraph: async (uri, name) => {
        const panel = DashboardPanel.show(context.extensionUri, service, log, uri);
        if (name) panel.controller.post({ type: 'focus', name });
      },
      dashboard: (uri) => DashboardPanel.show(context.extensionUri, service, log, uri).controller,
    }),
  );
  followEditor(vscode.window.activeTextEditor);
  log.appendLine(`GradLens ${context.extension.packageJSON.version as string} activated`);
  // The analysis runs in a worker; this watches that the extension host's own thread stays free.
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  context.subscriptions.push({ dispose: () => loop.disable() });
  // Garbage collection pauses the whole extension host: when the loop delay spikes, this tells whether GC did it.
  let gcMaxPauseMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMaxPauseMs = Math.max(gcMaxPauseMs, e.duration);
  });
  gc.observe({ entryTypes: ['gc'] });
  context.subscriptions.push({ dispose: () => gc.disconnect() });
  let restartsAtReset = 0;
  const stats = (): RuntimeStats => {
    const sorted = [...service.latencies].sort((a, b) => a - b);
    return {
      loopDelayMaxMs: loop.max / 1e6,
      loopDelayP99Ms: loop.percentile(99) / 1e6,
      editToResultMedianMs: sorted.length ? sorted[Math.floor(sorted.length / 2)] : null,
      workerRestarts: service.worker.restarts,
      workerRestartsSinceReset: service.worker.restarts - restartsAtReset,
      gcMaxPauseMs,
      cancelledRuns: service.cancelledRuns,
    };
  };
  // Not contributed (not in the palette): for tests and benchmarks.
  context.subscriptions.push(
    vscode.commands.registerCommand('gradlens._stats', (reset?: boolean) => {
      const s = stats();
      if (reset === true) {
        loop.reset();
        service.latencies.length = 0;
        restartsAtReset = service.worker.restarts;
        gcMaxPauseMs = 0;
      }
      return s;
    }),
  );
  return { service, inlineValues, stats };
}

export function deactivate(): void {}
