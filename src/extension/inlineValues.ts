// Values at the line ends: each statement's value and gradient after its line, and each gate's
// check verdict after its header, like a debugger's inline values (setting
// gradlens.inlineValues.enabled, on by default). The server sends the texts with every analysis
// (`gradlens/didAnalyze`); they are drawn as decorations at once, so they follow the keystroke by
// the debounce and the analysis time alone — code lenses wait for VS Code's own lens schedule. On a
// large file only the visible lines and a margin are drawn, and scrolling draws the rest.
import * as vscode from 'vscode';
import type { DidAnalyzeParams, LineValue } from '../shared/serverProtocol';
import type { AnalysisClient } from './client/analysisClient';
import { Disposable } from './disposable';

/** Lines drawn beyond the visible ones, above and below, so scrolling a little shows values at once. */
const MARGIN_LINES = 100;

export class InlineValues extends Disposable {
  private readonly decoration = this.register(vscode.window.createTextEditorDecorationType({
    after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('editorCodeLens.foreground'), fontStyle: 'italic' },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  }));
  /** The latest texts per document, with the version they are for. */
  private readonly latest = new Map<string, { version: number; lines: LineValue[] }>();
  /** What was last drawn per document (for tests: decorations cannot be read back through the API). */
  private readonly drawn = new Map<string, { version: number; lines: LineValue[] }>();

  constructor(
    analyses: AnalysisClient,
    private readonly enabled: () => boolean,
    /** Whether a debug session shows its own values in this document (then these would contradict them). */
    private readonly debugging: (uri: vscode.Uri) => boolean = () => false,
  ) {
    super();
    for (const d of [
      analyses.onDidPublish((p) => this.receive(p)),
      vscode.window.onDidChangeVisibleTextEditors(() => this.redrawAll()),
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => this.draw(e.textEditor)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('gradlens.inlineValues')) this.redrawAll();
      }),
      vscode.workspace.onDidCloseTextDocument((d) => {
        this.latest.delete(d.uri.toString());
        this.drawn.delete(d.uri.toString());
      }),
    ])
      this.register(d);
  }

  rendered(uri: vscode.Uri): { version: number; lines: LineValue[] } | undefined {
    return this.drawn.get(uri.toString());
  }

  private receive(p: DidAnalyzeParams): void {
    this.latest.set(p.uri, { version: p.version, lines: p.lineValues });
    for (const e of vscode.window.visibleTextEditors) if (e.document.uri.toString() === p.uri) this.draw(e);
  }

  /** Draws again in every visible editor (a setting or a debug session changed). */
  redrawAll(): void {
    for (const e of vscode.window.visibleTextEditors) this.draw(e);
  }

  private draw(editor: vscode.TextEditor): void {
    const key = editor.document.uri.toString();
    const latest = this.latest.get(key);
    if (!latest) return;
    if (!this.enabled() || this.debugging(editor.document.uri)) {
      editor.setDecorations(this.decoration, []);
      this.drawn.delete(key);
      return;
    }
    // Values for older text would sit on the wrong lines; the newer analysis is on its way.
    if (editor.document.version !== latest.version) return;
    const shown = editor.visibleRanges;
    const near = (line: number) => shown.length === 0 || shown.some((r) => line >= r.start.line - MARGIN_LINES && line <= r.end.line + MARGIN_LINES);
    const lines = latest.lines.filter((l) => l.line < editor.document.lineCount && near(l.line));
    const options = lines.map((l): vscode.DecorationOptions => {
      const end = editor.document.lineAt(l.line).range.end;
      return { range: new vscode.Range(end, end), renderOptions: { after: { contentText: l.text } } };
    });
    editor.setDecorations(this.decoration, options);
    this.drawn.set(key, { version: latest.version, lines });
  }
}
