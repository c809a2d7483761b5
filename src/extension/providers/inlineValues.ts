// Inline values: each statement's value and gradient after its line, like a debugger's inline
// values (setting gradlens.inlineValues.enabled). They are decorations the extension sets itself as
// soon as an analysis arrives, so they follow the keystroke by the analysis time alone; code lenses
// wait for VS Code's own lens schedule (two debounces of at least 250 ms each in VS Code 1.100).
import * as vscode from 'vscode';
import type { Analysis } from '../../core/analysis';
import type { AnalysisService, DocumentAnalysis } from '../analysisService';
import { readConfig } from '../config';
import { gateVerdictTitle, nodeLensTitle } from './codeLens';

export interface InlineValueLine {
  line: number;
  text: string;
}

/** One text per line: a statement's values at the end of its last line, a gate's verdict after its header. */
export function inlineValueLines(a: Analysis): InlineValueLine[] {
  const byLine = new Map<number, string[]>();
  const add = (line: number, text: string) => {
    const texts = byLine.get(line) ?? [];
    texts.push(text);
    byLine.set(line, texts);
  };
  for (const n of a.nodes) {
    // Lines whose value could not be computed carry a diagnostic already; a placeholder would be noise.
    if (!n.value && !n.valueStats) continue;
    add(n.statementRange.end.line, `${n.name}: ${nodeLensTitle(n, a.root, 'full')}`);
  }
  for (const g of a.gates) {
    const verdict = gateVerdictTitle(g, a);
    if (verdict) add(g.headerRange.start.line, verdict);
  }
  return [...byLine.entries()].sort((x, y) => x[0] - y[0]).map(([line, texts]) => ({ line, text: texts.join('   ') }));
}

export class InlineValues implements vscode.Disposable {
  private readonly decoration = vscode.window.createTextEditorDecorationType({
    after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('editorCodeLens.foreground'), fontStyle: 'italic' },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  /** What was last drawn per document (for tests: decorations cannot be read back through the API). */
  private readonly drawn = new Map<string, { version: number; lines: InlineValueLine[] }>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly service: AnalysisService) {
    this.disposables.push(
      this.decoration,
      service.onDidAnalyze((r) => this.draw(r)),
      vscode.window.onDidChangeVisibleTextEditors(() => this.redrawAll()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('gradlens.inlineValues')) this.redrawAll();
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.drawn.delete(d.uri.toString())),
    );
  }

  rendered(uri: vscode.Uri): { version: number; lines: InlineValueLine[] } | undefined {
    return this.drawn.get(uri.toString());
  }

  private redrawAll(): void {
    const seen = new Set<string>();
    for (const e of vscode.window.visibleTextEditors) {
      const key = e.document.uri.toString();
      if (seen.has(key)) continue;
      seen.add(key);
      const r = this.service.get(e.document.uri);
      if (r) this.draw(r);
    }
  }

  private draw(r: DocumentAnalysis): void {
    const key = r.uri.toString();
    const editors = vscode.window.visibleTextEditors.filter((e) => e.document.uri.toString() === key);
    if (!readConfig().inlineValues) {
      for (const e of editors) e.setDecorations(this.decoration, []);
      this.drawn.delete(key);
      return;
    }
    // Values for older text would sit on the wrong lines; the newer analysis is on its way.
    const current = editors.filter((e) => e.document.version === r.version);
    if (current.length === 0) return;
    const lines = inlineValueLines(r.analysis).filter((l) => l.line < current[0].document.lineCount);
    const options = lines.map((l): vscode.DecorationOptions => {
      const end = current[0].document.lineAt(l.line).range.end;
      return { range: new vscode.Range(end, end), renderOptions: { after: { contentText: l.text } } };
    });
    for (const e of current) e.setDecorations(this.decoration, options);
    this.drawn.set(key, { version: r.version, lines });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
