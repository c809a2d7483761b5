// Re-seed and Set Dimension Sizes, visible where they act: a note at the end of the file's `seed`
// and `dims` lines ("overridden: N = 12 — reset", its hover has the reset link) and a status bar
// item while the active file has overrides (a click resets them; its tooltip has the CLI command
// that gives the same values). The overrides live in the language server; the client records them.
import * as vscode from 'vscode';
import type { LineValue, Overrides } from '../../shared/serverProtocol';
import { cliCommand, isOverridden, overrideNotes, overrideParts } from '../../shared/present/overrides';
import type { AnalysisClient } from '../client/analysisClient';
import { LANGUAGE_ID } from '../client/startClient';
import { Disposable } from '../disposable';

export class OverridesView extends Disposable {
  private readonly note = this.register(vscode.window.createTextEditorDecorationType({
    after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('editorWarning.foreground'), fontStyle: 'italic' },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  }));
  private readonly item = this.register(vscode.window.createStatusBarItem('gradlens.overrides', vscode.StatusBarAlignment.Left, 99));
  /** What was last drawn per document (for tests). */
  private readonly drawn = new Map<string, LineValue[]>();
  /** The editors that were sent notes (the others have none to clear). */
  private readonly noted = new WeakSet<vscode.TextEditor>();

  constructor(private readonly service: AnalysisClient) {
    super();
    this.item.name = 'GradLens overrides';
    for (const d of [
      service.onDidChangeOverrides(() => this.redrawAll()),
      vscode.window.onDidChangeVisibleTextEditors(() => this.redrawAll()),
      vscode.window.onDidChangeActiveTextEditor(() => this.redrawAll()),
      vscode.workspace.onDidChangeTextDocument((e) => {
        for (const ed of vscode.window.visibleTextEditors) if (ed.document === e.document) this.draw(ed);
      }),
    ])
      this.register(d);
    this.redrawAll();
  }

  /** The notes drawn in a document (tests), and the status bar's text and tooltip. */
  rendered(uri: vscode.Uri): { notes: LineValue[]; status: string | null; tooltip: string | null } {
    const active = vscode.window.activeTextEditor?.document.uri.toString() === uri.toString();
    const tip = this.item.tooltip;
    return { notes: this.drawn.get(uri.toString()) ?? [], status: active && this.shown ? this.item.text : null, tooltip: active && this.shown ? (typeof tip === 'string' ? tip : (tip?.value ?? null)) : null };
  }

  private shown = false;

  redrawAll(): void {
    for (const e of vscode.window.visibleTextEditors) this.draw(e);
    this.status(vscode.window.activeTextEditor);
  }

  private draw(editor: vscode.TextEditor): void {
    const doc = editor.document;
    if (doc.languageId !== LANGUAGE_ID) return;
    const o = this.service.overrides(doc.uri);
    const notes = isOverridden(o) ? overrideNotes(doc.getText(), o) : [];
    // Every keystroke comes here: a file without overrides whose editor shows no note sends nothing.
    if (notes.length === 0 && !this.noted.has(editor)) {
      this.drawn.delete(doc.uri.toString());
      return;
    }
    if (notes.length) this.noted.add(editor);
    else this.noted.delete(editor);
    const reset = new vscode.MarkdownString(`GradLens shows values for these overrides, not the file's own lines. [Reset](command:gradlens.resetOverrides?${encodeURIComponent(JSON.stringify([doc.uri.toString()]))}) to use the file's values again.`);
    reset.isTrusted = { enabledCommands: ['gradlens.resetOverrides'] };
    editor.setDecorations(
      this.note,
      notes
        .filter((n) => n.line < doc.lineCount)
        .map((n) => {
          const end = doc.lineAt(n.line).range.end;
          return { range: new vscode.Range(end, end), hoverMessage: reset, renderOptions: { after: { contentText: n.text } } };
        }),
    );
    if (notes.length) this.drawn.set(doc.uri.toString(), notes);
    else this.drawn.delete(doc.uri.toString());
  }

  private status(editor: vscode.TextEditor | undefined): void {
    const doc = editor?.document;
    const o: Overrides | null = doc && doc.languageId === LANGUAGE_ID ? this.service.overrides(doc.uri) : null;
    if (!doc || !o || !isOverridden(o)) {
      this.item.hide();
      this.shown = false;
      return;
    }
    const parts = overrideParts(doc.getText(), o);
    const words = [parts.seed, parts.dims].filter((x) => x !== null).join(', ') || 'the file\'s own values';
    this.item.text = `$(beaker) ${words}`;
    this.item.command = { title: 'Reset', command: 'gradlens.resetOverrides', arguments: [doc.uri.toString()] };
    const tip = new vscode.MarkdownString(`**GradLens overrides** (Re-seed / Set Dimension Sizes): the values shown and the exports use ${words} instead of the file's lines.\n\nThe same from the command line:\n\n\`${cliCommand(doc.uri.path.split('/').pop() ?? 'file.grad', o)}\`\n\nClick to reset.`);
    this.item.tooltip = tip;
    this.item.show();
    this.shown = true;
  }
}
