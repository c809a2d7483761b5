// The .grad file the views follow: the active .grad editor, or the last one that was active while
// focus is elsewhere (a webview, a panel, the sidebar), so a view resolved at that moment still
// shows the file instead of "Open a .grad file".
import * as vscode from 'vscode';
import { LANGUAGE_ID } from './client/startClient';
import { Disposable } from './disposable';

export class GradEditors extends Disposable {
  private last: vscode.Uri | undefined;

  constructor() {
    super();
    this.remember(vscode.window.activeTextEditor);
    this.register(vscode.window.onDidChangeActiveTextEditor((e) => this.remember(e)));
    this.register(
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (this.last?.toString() === d.uri.toString()) this.last = undefined;
      }),
    );
  }

  /** The active .grad editor's file, else the last one active (still open), else a visible one. */
  get current(): vscode.Uri | undefined {
    const active = vscode.window.activeTextEditor?.document;
    if (active?.languageId === LANGUAGE_ID) return active.uri;
    if (this.last) return this.last;
    return vscode.window.visibleTextEditors.find((e) => e.document.languageId === LANGUAGE_ID)?.document.uri;
  }

  private remember(e: vscode.TextEditor | undefined): void {
    if (e?.document.languageId === LANGUAGE_ID) this.last = e.document.uri;
  }
}
