// Extension entry point: starts the analysis service (a worker) and registers the thin adapters
// that turn its results into diagnostics, lenses, hovers, hints, fixes, views and commands.
import * as vscode from 'vscode';
import { AnalysisService, LANGUAGE_ID } from './analysisService';
import { DiagnosticsPublisher } from './providers/diagnostics';

export interface GradLensApi {
  service: AnalysisService;
}

export function activate(context: vscode.ExtensionContext): GradLensApi {
  const log = vscode.window.createOutputChannel('GradLens');
  const service = new AnalysisService(vscode.Uri.joinPath(context.extensionUri, 'dist', 'worker.js').fsPath, log);
  const diagnostics = new DiagnosticsPublisher(service, vscode.Uri.joinPath(context.extensionUri, 'docs', 'troubleshooting.md'));
  context.subscriptions.push(
    log,
    service,
    diagnostics,
    vscode.workspace.onDidCloseTextDocument((d) => {
      if (d.languageId === LANGUAGE_ID) diagnostics.clear(d.uri);
    }),
    vscode.commands.registerCommand('gradlens.showOutput', () => log.show()),
  );
  log.appendLine(`GradLens ${context.extension.packageJSON.version as string} activated`);
  return { service };
}

export function deactivate(): void {}
