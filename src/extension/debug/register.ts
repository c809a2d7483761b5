// Wires the debugger into VS Code: the adapter (in a worker, through an inline adapter), launch
// configurations, the values at the line ends while stopped, the "Debug Gradients" commands, and
// the dashboards following each stop (the adapter's custom event, passed on through the typed
// webview protocol).
import * as vscode from 'vscode';
import { parseDebugView, STOPPED_EVENT, type DebugView } from '../../shared/debugProtocol';
import { LANGUAGE_ID } from '../client/startClient';
import { DEBUG_TYPE, GradConfigurationProvider, launchConfiguration } from './configuration';
import { DebugInlineValues } from './inlineValues';
import { WorkerDebugAdapter } from './workerAdapter';

export interface DebuggerContext {
  extensionUri: vscode.Uri;
  /** Where the walkthrough's examples are copied to be debugged (a file on disk). */
  storageUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  /** Tells every open dashboard where the debugger is (null: the session ended). */
  follow(view: DebugView | null): void;
}

export function registerDebugger(ctx: DebuggerContext): vscode.Disposable[] {
  const script = vscode.Uri.joinPath(ctx.extensionUri, 'dist', 'debug.js').fsPath;
  return [
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, {
      createDebugAdapterDescriptor: () => new vscode.DebugAdapterInlineImplementation(new WorkerDebugAdapter(script, ctx.log)),
    }),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new GradConfigurationProvider()),
    vscode.languages.registerInlineValuesProvider({ language: LANGUAGE_ID }, new DebugInlineValues()),
    vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
      if (e.session.type !== DEBUG_TYPE || e.event !== STOPPED_EVENT) return;
      const view = parseDebugView(e.body);
      if (view) ctx.follow(view);
    }),
    vscode.debug.onDidTerminateDebugSession((s) => {
      if (s.type === DEBUG_TYPE) ctx.follow(null);
    }),
    vscode.commands.registerCommand('gradlens.debug', async (uri?: vscode.Uri) => {
      const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
      const doc = target ? await vscode.workspace.openTextDocument(target) : undefined;
      if (!doc || doc.languageId !== LANGUAGE_ID) {
        void vscode.window.showInformationMessage('GradLens: open a .grad file to debug it.');
        return false;
      }
      if (doc.isUntitled) {
        void vscode.window.showErrorMessage('GradLens: save the file first — the debugger runs the file on disk.');
        return false;
      }
      if (doc.isDirty) await doc.save();
      return vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(doc.uri), launchConfiguration(doc.uri.fsPath));
    }),
    // The walkthrough's step: a copy of the example on disk (the bundled one stays untouched).
    vscode.commands.registerCommand('gradlens.debugExample', async (name?: string) => {
      const file = typeof name === 'string' && /^[\w-]+\.grad$/.test(name) ? name : 'circuit.grad';
      const copy = vscode.Uri.joinPath(ctx.storageUri, 'examples', file);
      await vscode.workspace.fs.copy(vscode.Uri.joinPath(ctx.extensionUri, 'examples', file), copy, { overwrite: true });
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(copy));
      return vscode.debug.startDebugging(undefined, launchConfiguration(copy.fsPath));
    }),
  ];
}
