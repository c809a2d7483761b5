// Extension entry point: starts the GradLens language server (in a worker thread) with
// vscode-languageclient — diagnostics, lenses, hovers, hints, fixes and every language feature come
// through it — and wires what only VS Code has: the values at the line ends, the sidebar views,
// the status bar, the dashboard and the commands.
import * as vscode from 'vscode';
import { AnalysisClient, type DocumentAnalysis } from './client/analysisClient';
import { createClient, LANGUAGE_ID } from './client/startClient';
import { registerCommands } from './commands';
import { DashboardPanel } from './dashboard/panel';
import { SIDEBAR_VIEW_ID, SidebarDashboard } from './dashboard/sidebarView';
import { registerDebugger } from './debug/register';
import { prompts, type Prompts } from './derivePreview';
import { GradEditors } from './gradEditors';
import { InlineValues } from './inlineValues';
import { RuntimeStatsMonitor, type RuntimeStats } from './runtimeStats';
import { STATS_FILE_ENV, writeStatsFile } from './statsFile';
import { ChecksTree } from './views/checksTree';
import { GraphTree } from './views/graphTree';
import { OverridesView } from './views/overrides';
import { StatusBar } from './views/statusBar';
import { OPEN_TROUBLESHOOTING, openTroubleshooting } from './troubleshooting';
import type { DebugView } from '../shared/debugProtocol';
import type { AnalysisSummary } from '../shared/serverProtocol';

export interface GradLensApi {
  service: AnalysisClient;
  inlineValues: InlineValues;
  /** The notes and status bar item of Re-seed / Set Dimension Sizes. */
  overrides: OverridesView;
  /** Figures for tests and benchmarks: how long the main thread stalled, edit → result latencies. */
  stats(reset?: boolean): Promise<RuntimeStats>;
  /** Where the dashboards were last told the debugger is (null: no session stopped). */
  debugView(): DebugView | null;
  /** The task tab the dashboard panel was last asked to show (palette Train / Plot Loss Landscape). */
  dashboardShownTask(): string | null;
  /** How questions reach the user (Derive Backward's Apply/Discard); tests answer them. */
  prompts: Prompts;
}

let stopClient: (() => Promise<void>) | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<GradLensApi> {
  const log = vscode.window.createOutputChannel('GradLens', { log: true });
  const { client, sizeGate } = createClient(vscode.Uri.joinPath(context.extensionUri, 'dist', 'server.js').fsPath, log);
  const service = new AnalysisClient(client, log);
  service.heldBack = (uri) => sizeGate.refusal(uri);
  const graphTree = new GraphTree(service);
  const checksTree = new ChecksTree(service);
  const statusBar = new StatusBar();
  const overrides = new OverridesView(service);
  // While the debugger is stopped in a file, its values at the line ends are the ones at the stop.
  const debugged = (uri: vscode.Uri) => vscode.debug.activeDebugSession?.type === 'grad' && vscode.debug.activeDebugSession.configuration.program === uri.fsPath;
  const inlineValues = new InlineValues(service, () => vscode.workspace.getConfiguration('gradlens').get<boolean>('inlineValues.enabled', true), debugged);
  const graphView = vscode.window.createTreeView('gradlens.graph', { treeDataProvider: graphTree, showCollapseAll: true });
  const checksView = vscode.window.createTreeView('gradlens.checks', { treeDataProvider: checksTree, showCollapseAll: true });
  const stats = new RuntimeStatsMonitor(service);
  const summaries = new Map<string, AnalysisSummary>();
  const gradEditors = new GradEditors();
  const sidebar = new SidebarDashboard(context.extensionUri, service, log, gradEditors);
  let lastDebugView: DebugView | null = null;

  // The whole Analysis crosses to this thread only for a document a view shows.
  const activeUri = () => {
    const d = vscode.window.activeTextEditor?.document;
    return d?.languageId === LANGUAGE_ID ? d.uri.toString() : undefined;
  };
  service.isShown = (uri) => {
    const key = uri.toString();
    if ((graphView.visible || checksView.visible) && activeUri() === key) return true;
    return DashboardPanel.active?.controller.shownUri?.toString() === key || sidebar.shownUri?.toString() === key;
  };

  const followEditor = (editor: vscode.TextEditor | undefined) => {
    const isGrad = editor?.document.languageId === LANGUAGE_ID;
    void vscode.commands.executeCommand('setContext', 'gradlens.activeGrad', isGrad);
    if (!isGrad || !editor) {
      statusBar.show(undefined, undefined, false);
      return;
    }
    const key = editor.document.uri.toString();
    statusBar.show(editor.document.fileName.split(/[\\/]/).pop(), summaries.get(key), true);
    const r: DocumentAnalysis | undefined = service.get(editor.document.uri);
    graphTree.show(r);
    checksTree.show(r);
    if (service.isShown(editor.document.uri)) void service.analyzeNow(editor.document).catch(() => undefined);
  };
  const refreshViews = () => followEditor(vscode.window.activeTextEditor);

  context.subscriptions.push(
    log,
    sizeGate,
    service,
    inlineValues,
    overrides,
    statusBar,
    graphTree,
    checksTree,
    graphView,
    checksView,
    stats,
    gradEditors,
    sidebar,
    graphView.onDidChangeVisibility(refreshViews),
    checksView.onDidChangeVisibility(refreshViews),
    vscode.window.onDidChangeActiveTextEditor(followEditor),
    vscode.debug.onDidChangeActiveDebugSession(() => inlineValues.redrawAll()),
    service.onDidPublish((p) => {
      // Shapes alone have no root value yet: the older summary stands until the values come.
      if (p.phase === 'shapes') return;
      summaries.set(p.uri, p.summary);
      const active = vscode.window.activeTextEditor?.document;
      if (active?.uri.toString() === p.uri) statusBar.update(active.fileName.split(/[\\/]/).pop() ?? '', p.summary);
    }),
    vscode.workspace.onDidCloseTextDocument((d) => summaries.delete(d.uri.toString())),
    vscode.commands.registerCommand('gradlens.showOutput', () => log.show()),
    vscode.commands.registerCommand(OPEN_TROUBLESHOOTING, (file: string, code: string) => openTroubleshooting(file, code)),
    DashboardPanel.registerSerializer(context.extensionUri, service, log),
    vscode.window.registerWebviewViewProvider(SIDEBAR_VIEW_ID, sidebar),
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
    ...registerDebugger({
      extensionUri: context.extensionUri,
      storageUri: context.globalStorageUri,
      log,
      follow: (view) => {
        lastDebugView = view;
        DashboardPanel.active?.controller.followDebugger(view);
        sidebar.current?.followDebugger(view);
      },
    }),
    // Not contributed (not in the palette): for tests and benchmarks.
    vscode.commands.registerCommand('gradlens._stats', (reset?: boolean) => stats.read(reset === true)),
  );
  await client.start();
  stopClient = () => client.stop();
  // The same figures in a file, for the bench that drives the editor through its UI alone (only
  // when the environment names one: see statsFile.ts).
  context.subscriptions.push(writeStatsFile(process.env[STATS_FILE_ENV], (reset) => stats.read(reset)));
  followEditor(vscode.window.activeTextEditor);
  log.appendLine(`GradLens ${context.extension.packageJSON.version as string} activated`);
  return { service, inlineValues, overrides, stats: (reset) => stats.read(reset), debugView: () => lastDebugView, dashboardShownTask: () => DashboardPanel.active?.controller.shownTask ?? null, prompts };
}

export function deactivate(): Promise<void> | undefined {
  return stopClient?.();
}
