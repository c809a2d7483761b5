// Quick fixes: every fix the core attached to a diagnostic (the dimension-analysis arrangement,
// max subtraction in a softmax, he/xavier inits, a misspelt gradient name), plus "Derive
// backward" for a gate, "Add the missing gradients" for an incomplete backward block, and
// "Replace … with the derived one" where a hand-written gradient fails its check.
// All are workspace edits, so they undo like typing.
import * as vscode from 'vscode';
import type { DeriveResult } from '../../core/checks/derive';
import type { AnalysisService } from '../analysisService';
import { readConfig } from '../config';
import { toRange } from '../convert';
import { gateAt } from '../symbols';
import type { DiagnosticsPublisher } from './diagnostics';

/** Converts a core edit (offsets) of a derive result into a workspace edit. */
export function deriveEdit(doc: vscode.TextDocument, r: Extract<DeriveResult, { ok: true }>): vscode.WorkspaceEdit {
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, toRangeOfSpan(doc, r.edit.span), r.edit.newText);
  return edit;
}

function toRangeOfSpan(doc: vscode.TextDocument, span: { start: number; end: number }): vscode.Range {
  return new vscode.Range(doc.positionAt(span.start), doc.positionAt(span.end));
}

export class CodeActionProvider implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix, vscode.CodeActionKind.RefactorRewrite];

  constructor(
    private readonly service: AnalysisService,
    private readonly diagnostics: DiagnosticsPublisher,
  ) {}

  async provideCodeActions(doc: vscode.TextDocument, range: vscode.Range | vscode.Selection, ctx: vscode.CodeActionContext): Promise<vscode.CodeAction[]> {
    const actions: vscode.CodeAction[] = [];
    for (const { diagnostic, fixes } of this.diagnostics.fixesFor(doc.uri)) {
      if (!diagnostic.range.intersection(range) && !ctx.diagnostics.includes(diagnostic)) continue;
      fixes.forEach((f, i) => {
        const a = new vscode.CodeAction(f.title, vscode.CodeActionKind.QuickFix);
        a.diagnostics = [diagnostic];
        a.isPreferred = i === 0 && fixes.length === 1;
        a.edit = new vscode.WorkspaceEdit();
        for (const e of f.edits) a.edit.replace(doc.uri, toRange(e.range), e.newText);
        actions.push(a);
      });
    }
    const r = this.service.get(doc.uri);
    const gate = r ? gateAt(r.analysis, range.start) : undefined;
    if (!r || !gate || r.version !== doc.version) return actions;
    const all = vscode.languages.getDiagnostics(doc.uri);
    const missing = all.find((d) => codeOf(d) === 'gate-missing-gradient' && d.range.intersection(toRange(gate.range)));
    // A failing check of this gate, at the cursor (it sits on the `d<input> = …` line).
    const backward = gate.backwardRange ? toRange(gate.backwardRange) : null;
    const failing = backward ? all.find((d) => codeOf(d) === 'gradcheck-failed' && backward.contains(d.range) && (ctx.diagnostics.includes(d) || d.range.intersection(range))) : undefined;
    if (!gate.backwardRange || missing || failing) {
      const derived = await this.service.worker.request('derive', { text: doc.getText(), gate: gate.name }, readConfig().workerTimeoutMs).catch(() => null);
      if (derived?.ok) {
        if (!gate.backwardRange) {
          const a = new vscode.CodeAction(`Derive backward for \`${gate.name}\``, vscode.CodeActionKind.RefactorRewrite.append('derive'));
          a.edit = deriveEdit(doc, derived);
          actions.push(a);
        } else if (missing) {
          const a = this.addMissing(doc, derived, gate.backwardRange);
          if (a) {
            a.diagnostics = [missing];
            actions.push(a);
          }
        } else if (failing && doc.getText(toRangeOfSpan(doc, derived.edit.span)) !== derived.edit.newText) {
          // Not preferred: it replaces the user's own derivation (one undo brings it back).
          const a = new vscode.CodeAction(`Replace the backward block of \`${gate.name}\` with the derived one`, vscode.CodeActionKind.QuickFix);
          a.diagnostics = [failing];
          a.edit = deriveEdit(doc, derived);
          actions.push(a);
        }
      }
    }
    return actions;
  }

  /** Inserts the derived lines of the gradients the backward block lacks, before its `}`. */
  private addMissing(doc: vscode.TextDocument, derived: Extract<DeriveResult, { ok: true }>, backward: { start: { line: number }; end: { line: number; character: number } }): vscode.CodeAction | null {
    const block = doc.getText(toRange(backward as never));
    const assigned = new Set([...block.matchAll(/^\s*([A-Za-z_]\w*)\s*=/gm)].map((m) => m[1]));
    const lines = derived.lines.filter((l) => !assigned.has(l.name));
    if (!lines.length) return null;
    const close = new vscode.Position(backward.end.line, Math.max(0, backward.end.character - 1));
    const indent = /^\s*/.exec(doc.lineAt(backward.start.line).text)?.[0] ?? '  ';
    const text = lines.map((l) => `${indent}  ${l.name} = ${l.text}\n`).join('');
    const a = new vscode.CodeAction(`Add the missing gradient${lines.length > 1 ? 's' : ''} (derived)`, vscode.CodeActionKind.QuickFix);
    a.edit = new vscode.WorkspaceEdit();
    a.edit.insert(doc.uri, new vscode.Position(close.line, 0), text);
    a.isPreferred = true;
    return a;
  }
}

function codeOf(d: vscode.Diagnostic): string | undefined {
  const c = d.code;
  if (typeof c === 'object' && c !== null) return String(c.value);
  return c === undefined ? undefined : String(c);
}
