// The GradLens language server: one server for every editor. In VS Code it runs in a worker
// thread of the extension host (src/server/main.ts, a MessagePort transport); elsewhere
// `gradlens lsp --stdio`. The analyses run in a worker of its own (src/server/analysis/), so
// completion and hovers answer while a gradient check runs, a stale analysis is stopped through
// shared memory, and a crashed, hung or out-of-memory analysis is replaced.
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { DidChangeConfigurationNotification, TextDocuments, TextDocumentSyncKind, type ClientCapabilities, type Connection, type InitializeResult } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { workerFailureNotification } from '../shared/serverProtocol';
import { ValuesLane } from './analysis/valuesLane';
import { CHECKS_NICENESS, WorkerClient, type WorkerFailure } from './analysis/workerClient';
import { isGradDocument, type ClientSupport, type ServerContext } from './context';
import { DocumentAnalyses } from './documentAnalyses';
import { registerCodeActions } from './features/codeActions';
import { registerCodeLenses } from './features/codeLens';
import { registerCustomRequests } from './features/custom';
import { registerHover } from './features/hover';
import { registerInlayHints } from './features/inlayHints';
import { LANGUAGE_CAPABILITIES, registerLanguageFeatures } from './features/language';
import { publishAnalyses } from './features/published';
import { settingsFrom, type GradLensConfig } from './settings';

declare const GRADLENS_VERSION: string;

export interface ServerOptions {
  /** The analysis worker's script (dist/worker.js beside the server's bundle). */
  workerScript?: string;
  /** The folder holding docs/ (the troubleshooting page diagnostics link to). */
  extensionRoot?: string;
}

function clientSupport(c: ClientCapabilities): ClientSupport {
  return {
    codeLensRefresh: c.workspace?.codeLens?.refreshSupport === true,
    inlayHintRefresh: c.workspace?.inlayHint?.refreshSupport === true,
    workDoneProgress: c.window?.workDoneProgress === true,
    configuration: c.workspace?.configuration === true,
    markdown: c.textDocument?.hover?.contentFormat?.includes('markdown') ?? false,
  };
}

export function startServer(connection: Connection, options: ServerOptions = {}): void {
  const root = options.extensionRoot ?? join(__dirname, '..');
  const documents = new TextDocuments(TextDocument);
  let settings: GradLensConfig = settingsFrom({});
  let failureReported = false;
  const log = (line: string) => connection.console.log(line);
  const workerScript = options.workerScript ?? join(__dirname, 'worker.js');
  const worker = new WorkerClient(
    workerScript,
    (e: WorkerFailure) => {
      log(`[worker] ${e.message}; restarting it (restart #${worker.restarts})`);
      // Reported once per session, not on every keystroke that hits the same problem.
      if (!failureReported) {
        failureReported = true;
        void connection.sendNotification(workerFailureNotification, { message: e.message, restarts: worker.restarts });
      }
    },
    () => ({ maxOldGenerationSizeMb: settings.workerMemoryMb }),
    // The gradient checks yield the CPU to the editor and to the values lane.
    CHECKS_NICENESS,
  );
  // A second worker for the values of a new text while the first is busy with an older one's checks.
  const lane = new ValuesLane(new WorkerClient(workerScript, (e: WorkerFailure) => log(`[values lane] ${e.message}; the next run starts a new worker`), () => ({ maxOldGenerationSizeMb: settings.workerMemoryMb })));
  const analyses = new DocumentAnalyses(worker, () => settings, log, undefined, lane);
  const ctx: ServerContext = {
    connection,
    documents,
    analyses,
    worker,
    settings: () => settings,
    client: clientSupport({}),
    log,
    docsUri: pathToFileURL(join(root, 'docs', 'troubleshooting.md')).toString(),
  };

  connection.onInitialize((params): InitializeResult => {
    const init = params.initializationOptions as { settings?: unknown; progress?: boolean } | undefined;
    // `progress: false`: the client shows the analysis' state itself (the VS Code extension's
    // status bar item says "checking"), so no work-done progress, whose animated indicator would
    // redraw the window every frame while seconds of checks run.
    ctx.client = { ...clientSupport(params.capabilities), ...(init?.progress === false ? { workDoneProgress: false } : {}) };
    if (init?.settings) settings = settingsFrom(init.settings);
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        hoverProvider: true,
        codeLensProvider: { resolveProvider: false },
        inlayHintProvider: { resolveProvider: true },
        codeActionProvider: { codeActionKinds: ['quickfix', 'refactor.rewrite'] },
        ...LANGUAGE_CAPABILITIES,
      },
      serverInfo: { name: 'gradlens', version: typeof GRADLENS_VERSION === 'string' ? GRADLENS_VERSION : 'dev' },
    };
  });

  const refreshes = [registerCodeLenses(ctx), registerInlayHints(ctx)];
  registerHover(ctx);
  registerCodeActions(ctx);
  registerCustomRequests(ctx);
  registerLanguageFeatures(ctx);
  const published = publishAnalyses(ctx, refreshes);

  const pullSettings = async () => {
    if (!ctx.client.configuration) return;
    const raw: unknown = await connection.workspace.getConfiguration('gradlens').catch(() => undefined);
    if (raw !== undefined && raw !== null) settings = settingsFrom(raw);
  };
  connection.onInitialized(async () => {
    if (ctx.client.configuration) void connection.client.register(DidChangeConfigurationNotification.type, { section: 'gradlens' }).catch(() => undefined);
    await pullSettings();
    for (const d of documents.all()) if (isGradDocument(d)) analyses.opened(d);
  });
  connection.onDidChangeConfiguration(async (change) => {
    const pushed = (change.settings as { gradlens?: unknown } | null)?.gradlens;
    if (ctx.client.configuration) await pullSettings();
    else if (pushed !== undefined) settings = settingsFrom(pushed);
    analyses.rerunAll([...documents.all()].filter(isGradDocument));
    for (const p of refreshes) p.fire();
  });

  documents.onDidOpen(({ document }) => {
    if (isGradDocument(document)) analyses.opened(document);
  });
  documents.onDidChangeContent(({ document }) => {
    if (isGradDocument(document)) analyses.changed(document);
  });
  documents.onDidSave(({ document }) => {
    if (isGradDocument(document)) analyses.saved(document);
  });
  documents.onDidClose(({ document }) => {
    analyses.closed(document.uri);
    for (const p of refreshes) p.closed(document.uri);
    published.closed(document.uri);
    // A closed file's problems leave the Problems panel with it.
    void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
  });
  connection.onShutdown(() => {
    analyses.dispose();
    worker.dispose();
    lane.dispose();
  });
  documents.listen(connection);
  connection.listen();
}
