// Values at the line ends: each statement's value and gradient after its line, and each gate's
// check verdict after its header, like a debugger's inline values (setting
// gradlens.inlineValues.enabled, on by default). The server sends the texts with every analysis
// (`gradlens/didAnalyze`) and again with its early phases (values before the gradient checks
// end); they are drawn as decorations at once, so they follow the keystroke by the debounce and
// the forward/backward time alone — code lenses wait for VS Code's own lens schedule. After an
// edit the values on screen belong to the older text: they stay, moved with their lines, dimmed and
// marked "updating…" until the new text's values arrive. On a large file only the visible lines
// and a margin are drawn, and scrolling draws the rest.
//
// This runs on the extension host's main thread at every keystroke, so it sends the editor nothing
// it already shows: each setDecorations is a message to the window (serialised, compressed). An edit
// inside one line leaves the decorations where the editor keeps them (at that line's end), so a
// keystroke in a file already marked stale sends nothing; an edit that adds or removes lines
// redraws. The setting is read once and again when it changes, not at every draw.
import * as vscode from 'vscode';
import type { DidAnalyzeParams, LineValue } from '../shared/serverProtocol';
import { moveLineValues, sameLines, staleText } from '../shared/present/staleLines';
import type { AnalysisClient } from './client/analysisClient';
import { Disposable } from './disposable';

/** Lines drawn beyond the visible ones, above and below, so scrolling a little shows values at once. */
const MARGIN_LINES = 100;

/**
 * How long the older values of an edit inside one line stay drawn as they are before they are
 * marked "updating…": the new ones usually come sooner (the values lane, tens of milliseconds),
 * and marking them first would redraw every line twice per keystroke — a flash of dimmed values
 * and twice the work for the window, right when it should draw the new values.
 */
export const STALE_MARK_DELAY_MS = 250;

/** What a document shows at its line ends: fresh texts for its current version, or stale ones. */
interface Shown {
  /** The document version the lines are placed for. */
  version: number;
  lines: LineValue[];
  /** The texts belong to an older text (an analysis of the current one is on its way). */
  stale: boolean;
}

export class InlineValues extends Disposable {
  private readonly decoration = this.register(vscode.window.createTextEditorDecorationType({
    after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('editorCodeLens.foreground'), fontStyle: 'italic' },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  }));
  // Dimmed: decorations have no opacity option, the CSS rides on textDecoration (a known idiom).
  private readonly staleDecoration = this.register(vscode.window.createTextEditorDecorationType({
    after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('editorCodeLens.foreground'), fontStyle: 'italic', textDecoration: 'none; opacity: 0.5' },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  }));
  /** What each document shows (all lines; only those near the visible ones are drawn). */
  private readonly shown = new Map<string, Shown>();
  /** What was last drawn per document (for tests: decorations cannot be read back through the API). */
  private readonly drawn = new Map<string, Shown>();
  /** What each editor was last sent: which decoration type holds the texts, and the texts. */
  private readonly sent = new WeakMap<vscode.TextEditor, { stale: boolean; lines: LineValue[] }>();
  /** The lines each editor showed at its last draw (`lineWindow`): only a change of them draws again. */
  private readonly windows = new WeakMap<vscode.TextEditor, string>();
  /** Documents whose older values are drawn unmarked for a moment, and the timer that marks them. */
  private readonly staleTimers = new Map<string, NodeJS.Timeout>();
  private enabled: boolean;

  constructor(
    analyses: AnalysisClient,
    readEnabled: () => boolean,
    /** Whether a debug session shows its own values in this document (then these would contradict them). */
    private readonly debugging: (uri: vscode.Uri) => boolean = () => false,
  ) {
    super();
    this.enabled = readEnabled();
    for (const d of [
      analyses.onDidPublish((p) => this.receive(p)),
      vscode.workspace.onDidChangeTextDocument((e) => this.edited(e)),
      vscode.window.onDidChangeVisibleTextEditors(() => this.redrawAll()),
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => this.scrolled(e.textEditor, e.visibleRanges)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('gradlens.inlineValues')) return;
        this.enabled = readEnabled();
        this.redrawAll();
      }),
      vscode.workspace.onDidCloseTextDocument((d) => {
        this.shown.delete(d.uri.toString());
        this.drawn.delete(d.uri.toString());
        this.cancelStaleMark(d.uri.toString());
      }),
      { dispose: () => [...this.staleTimers.keys()].forEach((k) => this.cancelStaleMark(k)) },
    ])
      this.register(d);
  }

  rendered(uri: vscode.Uri): Shown | undefined {
    return this.drawn.get(uri.toString());
  }

  private receive(p: DidAnalyzeParams): void {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === p.uri);
    // Shapes alone carry no values: the older ones stay, marked, until the values come. Values
    // for an older text than the document's would sit on the wrong lines.
    if (p.phase === 'shapes' || (doc && doc.version !== p.version)) return;
    this.cancelStaleMark(p.uri);
    this.shown.set(p.uri, { version: p.version, lines: p.lineValues, stale: false });
    this.drawDocument(p.uri);
  }

  /** An edit: what is shown moves with its lines and is marked stale. */
  private edited(e: vscode.TextDocumentChangeEvent): void {
    const key = e.document.uri.toString();
    const now = this.shown.get(key);
    if (!now || e.contentChanges.length === 0) return;
    // VS Code reports the changes of one event each in the coordinates of the text before the event, last first.
    const edits = [...e.contentChanges]
      .sort((a, b) => b.range.start.line - a.range.start.line)
      .map((c) => ({ startLine: c.range.start.line, endLine: c.range.end.line, insertedBreaks: c.text.split('\n').length - 1 }));
    this.shown.set(key, { version: e.document.version, lines: moveLineValues(now.lines, edits), stale: true });
    // Lines moved: the texts must be placed again now (a joined line would show two). Within a
    // line the drawn texts stay where they are; they are marked only if the new ones are late.
    if (edits.some((x) => x.insertedBreaks > 0 || x.endLine > x.startLine)) {
      this.cancelStaleMark(key);
      this.drawDocument(key);
    } else if (!this.staleTimers.has(key) && !this.drawn.get(key)?.stale) {
      this.staleTimers.set(
        key,
        setTimeout(() => {
          this.staleTimers.delete(key);
          this.drawDocument(key);
        }, STALE_MARK_DELAY_MS),
      );
    }
  }

  /**
   * The editor's visible ranges changed. VS Code reports a change of their columns too: typing on
   * the last visible line changes its end at every keystroke. Only other lines coming into view
   * need a draw; drawing at every keystroke would also mark the older values stale at once, the
   * redraw that STALE_MARK_DELAY_MS holds back (the new values usually come first).
   */
  private scrolled(editor: vscode.TextEditor, visible: readonly vscode.Range[]): void {
    if (this.windows.get(editor) === lineWindow(visible)) return;
    this.draw(editor);
  }

  /** Draws what the document shows in each visible editor of it. */
  private drawDocument(key: string): void {
    for (const e of vscode.window.visibleTextEditors) if (e.document.uri.toString() === key) this.draw(e);
  }

  private cancelStaleMark(key: string): void {
    const t = this.staleTimers.get(key);
    if (t) clearTimeout(t);
    this.staleTimers.delete(key);
  }

  /** Draws again in every visible editor (a setting, a debug session or the visible editors changed). */
  redrawAll(): void {
    for (const e of vscode.window.visibleTextEditors) this.draw(e, true);
  }

  /** Sends the editor its texts, unless it shows exactly these already (`force`: send anyway). */
  private draw(editor: vscode.TextEditor, force = false): void {
    const key = editor.document.uri.toString();
    const shown = this.shown.get(key);
    if (!shown) return;
    const before = this.sent.get(editor);
    if (!this.enabled || this.debugging(editor.document.uri)) {
      if (before || force) {
        editor.setDecorations(this.decoration, []);
        editor.setDecorations(this.staleDecoration, []);
      }
      this.sent.delete(editor);
      this.drawn.delete(key);
      return;
    }
    const visible = editor.visibleRanges;
    this.windows.set(editor, lineWindow(visible));
    const lineCount = editor.document.lineCount;
    const near = (line: number) => visible.length === 0 || visible.some((r) => line >= r.start.line - MARGIN_LINES && line <= r.end.line + MARGIN_LINES);
    const drawable = (l: LineValue) => l.line < lineCount && near(l.line);
    // Most analyses of a keystroke bring the texts the editor shows already: compared where they
    // lie, without building anything.
    if (!force && before?.stale === shown.stale && sameLines(before.lines, shown.lines, drawable)) {
      this.drawn.set(key, { version: shown.version, lines: before.lines, stale: shown.stale });
      return;
    }
    const lines = shown.lines.filter(drawable);
    this.drawn.set(key, { version: shown.version, lines, stale: shown.stale });
    const options = lines.map((l): vscode.DecorationOptions => {
      const end = editor.document.lineAt(l.line).range.end;
      return { range: new vscode.Range(end, end), renderOptions: { after: { contentText: shown.stale ? staleText(l.text) : l.text } } };
    });
    // The other type is cleared only when it holds something (or nothing is known of this editor).
    if (force || !before || before.stale !== shown.stale) editor.setDecorations(shown.stale ? this.decoration : this.staleDecoration, []);
    editor.setDecorations(shown.stale ? this.staleDecoration : this.decoration, options);
    this.sent.set(editor, { stale: shown.stale, lines });
  }
}

/** The lines of a set of visible ranges (their columns left out), as a string to compare. */
export function lineWindow(visible: readonly vscode.Range[]): string {
  let w = '';
  for (const r of visible) w += `${r.start.line}-${r.end.line},`;
  return w;
}
