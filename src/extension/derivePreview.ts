// "Derive Backward" shows its change before it applies: a diff between the file and the file with
// the derived block (a read-only document of our own scheme), and a notification with Apply and
// Discard. Not VS Code's Refactor Preview: an edit marked `needsConfirmation` reaches it unticked,
// and its Apply then applies nothing.
import * as vscode from 'vscode';
import type { DeriveResult } from '../core';
import { Disposable } from './disposable';

export const DERIVED_SCHEME = 'gradlens-derived';

/** How a question reaches the user; tests answer it themselves (the extension's API exposes it). */
export interface Prompts {
  confirm(message: string, ...actions: string[]): Thenable<string | undefined>;
}

export const prompts: Prompts = {
  confirm: (message, ...actions) => vscode.window.showInformationMessage(message, ...actions),
};

export class DerivePreview extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private count = 0;

  constructor() {
    super();
    this.register(vscode.workspace.registerTextDocumentContentProvider(DERIVED_SCHEME, this));
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  /**
   * Shows the derived block as a diff, asks, and applies it if the user says so (and the file did
   * not change meanwhile). Returns whether it was applied.
   */
  async offer(doc: vscode.TextDocument, r: Extract<DeriveResult, { ok: true }>, gate: string, message: string): Promise<boolean> {
    const text = doc.getText();
    const version = doc.version;
    const derived = text.slice(0, r.edit.span.start) + r.edit.newText + text.slice(r.edit.span.end);
    const right = vscode.Uri.from({ scheme: DERIVED_SCHEME, path: doc.uri.path, query: `gate=${gate}&n=${++this.count}` });
    this.texts.set(right.toString(), derived);
    const name = doc.uri.path.split('/').pop() ?? 'file';
    try {
      await vscode.commands.executeCommand('vscode.diff', doc.uri, right, `${name} ↔ derived backward of ${gate}`, { preview: true });
      const answer = await prompts.confirm(`GradLens: ${message}. Apply the derived block?`, 'Apply', 'Discard');
      if (answer !== 'Apply') return false;
      if (doc.version !== version) {
        void vscode.window.showWarningMessage(`GradLens: ${name} changed while the derived block was shown; run Derive Backward again.`);
        return false;
      }
      const edit = new vscode.WorkspaceEdit();
      edit.replace(doc.uri, new vscode.Range(doc.positionAt(r.edit.span.start), doc.positionAt(r.edit.span.end)), r.edit.newText);
      return await vscode.workspace.applyEdit(edit);
    } finally {
      await closeDiff(right);
      this.texts.delete(right.toString());
    }
  }
}

async function closeDiff(right: vscode.Uri): Promise<void> {
  const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.toString() === right.toString());
  if (tabs.length) await vscode.window.tabGroups.close(tabs);
}
