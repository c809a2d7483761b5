// A diagnostic's code links to its section of docs/troubleshooting.md. The server sends a file
// link with the code as anchor (any client can follow it); VS Code would open that as raw
// Markdown at line 1, so the client turns it into a command that opens the rendered Markdown
// preview scrolled to the code's heading (the preview scrolls to a URI's fragment), or the text at
// the heading when the Markdown extension is not there.
import * as vscode from 'vscode';

export const OPEN_TROUBLESHOOTING = 'gradlens.openTroubleshooting';

/** The command link a diagnostic's code gets instead of the file link (VS Code opens command links of diagnostic codes). */
export function troubleshootingLink(target: vscode.Uri): vscode.Uri | null {
  if (target.scheme !== 'file' || !target.path.endsWith('/troubleshooting.md') || !target.fragment) return null;
  return vscode.Uri.parse(`command:${OPEN_TROUBLESHOOTING}?${encodeURIComponent(JSON.stringify([target.with({ fragment: '' }).toString(), target.fragment]))}`);
}

/** Rewrites the code links of diagnostics as they arrive from the server. */
export function withTroubleshootingLinks(diagnostics: vscode.Diagnostic[]): vscode.Diagnostic[] {
  for (const d of diagnostics) {
    if (typeof d.code !== 'object' || !(d.code.target instanceof vscode.Uri)) continue;
    const link = troubleshootingLink(d.code.target);
    if (link) d.code = { value: d.code.value, target: link };
  }
  return diagnostics;
}

/** Opens the section: the rendered preview at the heading, else the Markdown text at it. */
export async function openTroubleshooting(file: string, code: string): Promise<'preview' | 'text'> {
  const uri = vscode.Uri.parse(file);
  try {
    // The Markdown extension activates on its command (it is not in getCommands before that).
    await vscode.commands.executeCommand('markdown.showPreview', uri.with({ fragment: code }));
    return 'preview';
  } catch {
    // no Markdown extension: the text at the heading
  }
  const doc = await vscode.workspace.openTextDocument(uri);
  const line = Math.max(0, doc.getText().split('\n').findIndex((l) => l.trim() === `## ${code}`));
  const at = new vscode.Range(line, 0, line, 0);
  await vscode.window.showTextDocument(doc, { selection: at, preview: true });
  return 'text';
}
