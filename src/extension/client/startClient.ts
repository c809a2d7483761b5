// Starts the GradLens language server in a worker thread of the extension host and connects
// vscode-languageclient to it over the worker's MessagePort: standard LSP, no second process,
// never on the extension host's main thread.
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import { withTroubleshootingLinks } from '../troubleshooting';
import { DiagnosticsRepeats } from './diagnosticsRepeats';
import { SizeGate } from './sizeGate';
import { LanguageClient, PortMessageReader, PortMessageWriter, type LanguageClientOptions, type MessageTransports } from 'vscode-languageclient/node';

export const LANGUAGE_ID = 'grad';

export function createClient(serverScript: string, log: vscode.LogOutputChannel): { client: LanguageClient; worker(): Worker | undefined; sizeGate: SizeGate } {
  let current: Worker | undefined;
  const serverOptions = async (): Promise<MessageTransports> => {
    // A restart after a crash gets a fresh worker; the old one is gone or ends here.
    void current?.terminate();
    const worker = new Worker(serverScript, { name: 'GradLens language server' });
    current = worker;
    worker.on('error', (e) => log.appendLine(`[server] ${e.message}`));
    return { reader: new PortMessageReader(worker), writer: new PortMessageWriter(worker) };
  };
  // Files past the character cap stay in the editor, never reach the server (sizeGate.ts).
  const sizeGate = new SizeGate(vscode.Uri.file(join(dirname(serverScript), '..', 'docs', 'troubleshooting.md')));
  // An empty list after an empty one (a keystroke in a clean file) goes no further (diagnosticsRepeats.ts).
  const repeats = new DiagnosticsRepeats();
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: LANGUAGE_ID }],
    outputChannel: log,
    // The server pulls `gradlens` with workspace/configuration (Restricted Mode applies there).
    synchronize: { configurationSection: 'gradlens' },
    markdown: { isTrusted: false, supportHtml: false },
    // The status bar item shows "checking" (views/statusBar.ts): no work-done progress beside it.
    initializationOptions: { progress: false },
    // A code's link opens its rendered section of the troubleshooting page (not the raw file).
    middleware: {
      handleDiagnostics: (uri, diagnostics, next) => {
        if (!repeats.unchanged(uri.toString(), diagnostics.length)) next(uri, withTroubleshootingLinks(diagnostics));
      },
      ...sizeGate.middleware,
    },
  };
  const client = new LanguageClient('gradlens', 'GradLens', serverOptions, clientOptions);
  sizeGate.attach(client);
  return { client, worker: () => current, sizeGate };
}
