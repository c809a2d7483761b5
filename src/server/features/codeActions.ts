// Quick fixes: every fix the core attached to a diagnostic (the dimension-analysis arrangement,
// max subtraction in a softmax, he/xavier inits, a misspelt gradient name), plus "Derive backward"
// for a gate, "Add the missing gradients" for an incomplete backward block, and "Replace … with
// the derived one" where a hand-written gradient fails its check. Every action carries its edit,
// tied to the document version it was computed for: a client refuses to apply it to newer text.
import { CodeActionKind, type CodeAction, type Diagnostic as LspDiagnostic, type TextEdit } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic } from '../../core';
import type { DeriveResult } from '../../core';
import type { Range } from '../../core';
import type { ServerContext } from '../context';
import { contains, gateAt } from '../../shared/present/symbolAt';
import { toLspDiagnostic } from './diagnostics';

type Derived = Extract<DeriveResult, { ok: true }>;

function intersects(a: Range, b: Range): boolean {
  return !(before(a.end, b.start) || before(b.end, a.start));
}

function before(p: Range['start'], q: Range['start']): boolean {
  return p.line < q.line || (p.line === q.line && p.character < q.character);
}

function editAction(doc: TextDocument, title: string, kind: string, edits: TextEdit[], extra: Partial<CodeAction> = {}): CodeAction {
  return { title, kind, edit: { documentChanges: [{ textDocument: { uri: doc.uri, version: doc.version }, edits }] }, ...extra };
}

/** The derived block as an edit of the document. */
export function deriveEdits(doc: TextDocument, r: Derived): TextEdit[] {
  return [{ range: { start: doc.positionAt(r.edit.span.start), end: doc.positionAt(r.edit.span.end) }, newText: r.edit.newText }];
}

export function registerCodeActions(ctx: ServerContext): void {
  ctx.connection.onCodeAction(async ({ textDocument, range, context }) => {
    const doc = ctx.documents.get(textDocument.uri);
    const r = doc ? ctx.analyses.get(doc.uri) : undefined;
    // Fixes computed for an older text would land on the wrong characters.
    if (!doc || !r || r.version !== doc.version) return [];
    const actions: CodeAction[] = [];
    const lsp = (d: Diagnostic, index: number): LspDiagnostic => toLspDiagnostic(d, doc.uri, ctx.docsUri, { version: r.version, index });
    const asked = new Set(context.diagnostics.map((d) => `${String(d.code)}|${d.range.start.line}:${d.range.start.character}|${d.message}`));
    r.analysis.diagnostics.forEach((d, index) => {
      if (!d.fixes?.length) return;
      if (!intersects(d.range, range) && !asked.has(`${d.code}|${d.range.start.line}:${d.range.start.character}|${d.message}`)) return;
      d.fixes.forEach((f, i) => {
        actions.push(editAction(doc, f.title, CodeActionKind.QuickFix, f.edits.map((e) => ({ range: e.range, newText: e.newText })), { diagnostics: [lsp(d, index)], isPreferred: i === 0 && d.fixes?.length === 1 }));
      });
    });
    const gate = gateAt(r.analysis, range.start);
    if (!gate) return actions;
    const diags = r.analysis.diagnostics;
    const missing = diags.findIndex((d) => d.code === 'gate-missing-gradient' && intersects(d.range, gate.range));
    // A failing check of this gate, at the cursor (it sits on the `d<input> = …` line).
    const backward = gate.backwardRange;
    const failing = backward ? diags.findIndex((d) => d.code === 'gradcheck-failed' && contains(backward, d.range.start) && contains(backward, d.range.end) && intersects(d.range, range)) : -1;
    if (backward && missing < 0 && failing < 0) return actions;
    const derived = await ctx.worker.request('derive', { text: doc.getText(), gate: gate.name }, ctx.settings().workerTimeoutMs).catch(() => null);
    if (!derived?.ok || ctx.documents.get(doc.uri)?.version !== doc.version) return actions;
    if (!backward) {
      actions.push(editAction(doc, `Derive backward for \`${gate.name}\``, `${CodeActionKind.RefactorRewrite}.derive`, deriveEdits(doc, derived)));
    } else if (missing >= 0) {
      const add = addMissing(doc, derived, backward);
      if (add) actions.push(editAction(doc, add.title, CodeActionKind.QuickFix, [add.edit], { diagnostics: [lsp(diags[missing], missing)], isPreferred: true }));
    } else if (failing >= 0 && doc.getText({ start: doc.positionAt(derived.edit.span.start), end: doc.positionAt(derived.edit.span.end) }) !== derived.edit.newText) {
      // Not preferred: it replaces the user's own derivation (one undo brings it back).
      actions.push(editAction(doc, `Replace the backward block of \`${gate.name}\` with the derived one`, CodeActionKind.QuickFix, deriveEdits(doc, derived), { diagnostics: [lsp(diags[failing], failing)] }));
    }
    return actions;
  });
}

/** Inserts the derived lines of the gradients the backward block lacks, before its `}`. */
function addMissing(doc: TextDocument, derived: Derived, backward: Range): { title: string; edit: TextEdit } | null {
  const block = doc.getText(backward);
  const assigned = new Set([...block.matchAll(/^\s*([A-Za-z_]\w*)\s*=/gm)].map((m) => m[1]));
  const lines = derived.lines.filter((l) => !assigned.has(l.name));
  if (!lines.length) return null;
  const headerLine = doc.getText({ start: { line: backward.start.line, character: 0 }, end: { line: backward.start.line + 1, character: 0 } });
  const indent = /^\s*/.exec(headerLine)?.[0] ?? '  ';
  const text = lines.map((l) => `${indent}  ${l.name} = ${l.text}\n`).join('');
  const at = { line: backward.end.line, character: 0 };
  return { title: `Add the missing gradient${lines.length > 1 ? 's' : ''} (derived)`, edit: { range: { start: at, end: at }, newText: text } };
}
