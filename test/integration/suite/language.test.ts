// The language features of the server in VS Code, through VS Code's own provider commands (what
// the editor asks for when the user types, presses F12 or F2, opens the Outline): completion,
// signature help, definition, references, highlights, rename, symbols, semantic tokens, folding,
// selection ranges and formatting.
import * as assert from 'node:assert/strict';
import { suite, suiteSetup, teardown, test } from 'mocha';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { activateExtension, openExample, resetEditors, waitFor } from './helpers';

function lineOf(doc: vscode.TextDocument, startsWith: string): number {
  for (let i = 0; i < doc.lineCount; i++) if (doc.lineAt(i).text.trimStart().startsWith(startsWith)) return i;
  assert.fail(`no line starting with "${startsWith}" in ${doc.uri.path}`);
}

/** The position of the first `word` on the first line starting with `line`. */
function at(doc: vscode.TextDocument, line: string, word: string): vscode.Position {
  const l = lineOf(doc, line);
  const c = doc.lineAt(l).text.indexOf(word);
  assert.ok(c >= 0, `no ${word} on line ${l}`);
  return new vscode.Position(l, c);
}

let scratchCount = 0;

/**
 * A new .grad file with `content`, open in an editor. Not an untitled document: VS Code reuses the
 * name Untitled-1 as soon as one is closed, and the close of the old one can reach the server after
 * the open of the new one.
 */
async function scratch(content: string): Promise<vscode.TextDocument> {
  const uri = vscode.Uri.file(join(tmpdir(), `gradlens-language-${process.pid}-${++scratchCount}.grad`));
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(content));
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc);
  return doc;
}

function labelOf(item: vscode.CompletionItem): string {
  return typeof item.label === 'string' ? item.label : item.label.label;
}

suite('language features', () => {
  suiteSetup(async () => {
    await activateExtension();
  });

  teardown(resetEditors);

  test('completion: typing `rel` offers relu as a snippet with its summary; `~ ` offers the inits', async () => {
    const doc = await scratch('dims N = 4, D = 3\ninput x: [N, D]\nparam W: [D, D] ~ \nh = rel\n');
    const list = await waitFor(
      'completion items for `rel`',
      () => vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(3, 7)),
      (l) => (l?.items ?? []).some((i) => labelOf(i) === 'relu'),
      {},
      (l) => (l?.items ?? []).map(labelOf).slice(0, 20).join(', '),
    );
    const relu = list.items.find((i) => labelOf(i) === 'relu') as vscode.CompletionItem;
    assert.deepEqual(list.items.filter((i) => labelOf(i).startsWith('rel')).map(labelOf), ['relu'], 'no word-based suggestions beside the server\'s');
    assert.ok(relu.insertText instanceof vscode.SnippetString, 'relu is inserted as a snippet of its arguments');
    assert.equal(relu.kind, vscode.CompletionItemKind.Function);
    const inits = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(2, 18));
    for (const name of ['randn', 'he', 'xavier', 'zeros']) assert.ok(inits.items.some((i) => labelOf(i) === name), `${name} after ~`);
  });

  test('signature help inside softmax_ce( shows its parameters, the second one active after a comma', async () => {
    const doc = await scratch('dims N = 4, C = 3\ninput s: [N, C]\ninput y: int[N] in 0..C\nloss = softmax_ce(s, \n');
    // The first request may reach the server before the new document does: ask until it answers.
    const help = await waitFor(
      'signature help inside softmax_ce(',
      () => vscode.commands.executeCommand<vscode.SignatureHelp | undefined>('vscode.executeSignatureHelpProvider', doc.uri, new vscode.Position(3, 21)),
      (h) => (h?.signatures.length ?? 0) > 0,
      {},
      (h) => JSON.stringify(h ?? null),
    ) as vscode.SignatureHelp;
    assert.match(help.signatures[0].label, /^softmax_ce\(/);
    assert.equal(help.activeParameter, 1);
    assert.ok(help.signatures[0].parameters.length >= 2);
  });

  test('go to definition, find references and highlights of W1', async () => {
    const { document: doc } = await openExample('two-layer-net.grad');
    const use = at(doc, 'h1 ', 'W1');
    const defs = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>('vscode.executeDefinitionProvider', doc.uri, use);
    const def = defs[0];
    const defRange = 'targetRange' in def ? def.targetRange : def.range;
    assert.equal(defRange.start.line, lineOf(doc, 'param W1'));
    const refs = await vscode.commands.executeCommand<vscode.Location[]>('vscode.executeReferenceProvider', doc.uri, use);
    const lines = refs.map((r) => r.range.start.line).sort((a, b) => a - b);
    assert.ok(lines.includes(lineOf(doc, 'param W1')) && lines.includes(lineOf(doc, 'h1 ')) && lines.includes(lineOf(doc, 'loss ')), `references on lines ${lines.join(', ')}`);
    const highlights = await vscode.commands.executeCommand<vscode.DocumentHighlight[]>('vscode.executeDocumentHighlights', doc.uri, use);
    assert.ok(highlights.some((h) => h.kind === vscode.DocumentHighlightKind.Write && h.range.start.line === lineOf(doc, 'param W1')), 'the declaration is a write');
    assert.ok(highlights.some((h) => h.kind === vscode.DocumentHighlightKind.Read), 'uses are reads');
  });

  test('rename W in a gate renames dW too and leaves file-level names alone; an op cannot be renamed', async () => {
    const { document: doc } = await openExample('affine-gate.grad');
    const w = at(doc, 'gate affine(', 'W:');
    const edit = await vscode.commands.executeCommand<vscode.WorkspaceEdit>('vscode.executeDocumentRenameProvider', doc.uri, w, 'Wt');
    assert.ok(await vscode.workspace.applyEdit(edit), 'the rename applies');
    const text = doc.getText();
    assert.match(text, /gate affine\(X: \[B, K\], Wt: \[K, M\]/);
    assert.match(text, /dWt = X\.T @ dout/);
    assert.match(text, /dX = dout @ Wt\.T/);
    assert.match(text, /param W1: \[D, H\]/);
    const relu = at(doc, 'out = relu', 'relu');
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('vscode.prepareRename', doc.uri, relu.translate(0, 1))),
      /`relu` is an operation/,
    );
  });

  test('document symbols give the Outline (gates hold their backward lines); workspace symbols find names across open files', async () => {
    const { document: doc } = await openExample('affine-gate.grad');
    const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', doc.uri);
    const gate = symbols.find((s) => s.name === 'affine');
    assert.ok(gate, symbols.map((s) => s.name).join(', '));
    const backward = gate.children.find((c) => c.name === 'backward');
    assert.ok(backward?.children.some((c) => c.name === 'dW' && c.detail === '[K, M]'), JSON.stringify(gate.children.map((c) => c.name)));
    await openExample('two-layer-net.grad');
    const found = await waitFor(
      'workspace symbols for W1',
      () => vscode.commands.executeCommand<vscode.SymbolInformation[]>('vscode.executeWorkspaceSymbolProvider', 'W1'),
      (l) => (l ?? []).some((s) => s.name === 'W1' && s.location.uri.path.endsWith('two-layer-net.grad')),
      {},
      (l) => (l ?? []).map((s) => `${s.name}@${s.location.uri.path.split('/').pop()}`).join(', '),
    );
    assert.ok(found.length > 0);
  });

  test('semantic tokens, folding ranges and selection ranges', async () => {
    const { document: doc } = await openExample('affine-gate.grad');
    const legend = await vscode.commands.executeCommand<vscode.SemanticTokensLegend>('vscode.provideDocumentSemanticTokensLegend', doc.uri);
    assert.ok(legend.tokenModifiers.includes('gradient'), legend.tokenModifiers.join(', '));
    const tokens = await vscode.commands.executeCommand<vscode.SemanticTokens>('vscode.provideDocumentSemanticTokens', doc.uri);
    assert.ok(tokens.data.length > 0 && tokens.data.length % 5 === 0);
    const folds = await vscode.commands.executeCommand<vscode.FoldingRange[]>('vscode.executeFoldingRangeProvider', doc.uri);
    const header = lineOf(doc, 'gate affine(');
    assert.ok(folds.some((f) => f.start === header), `a fold starts at the gate (line ${header}): ${folds.map((f) => `${f.start}-${f.end}`).join(', ')}`);
    const inside = at(doc, 'dW = ', 'dout');
    const ranges = await vscode.commands.executeCommand<vscode.SelectionRange[]>('vscode.executeSelectionRangeProvider', doc.uri, [inside]);
    let depth = 0;
    for (let r: vscode.SelectionRange | undefined = ranges[0]; r; r = r.parent) depth++;
    assert.ok(depth >= 4, `expand selection goes word → expression → statement → block → gate → file (${depth} levels)`);
  });

  test('formatting: the canonical layout of a whole document and of a range, whitespace only', async () => {
    const doc = await scratch('input   x=2\ninput y =3\nq=x*y   # the product\n');
    const edits = await vscode.commands.executeCommand<vscode.TextEdit[]>('vscode.executeFormatDocumentProvider', doc.uri, { tabSize: 2, insertSpaces: true });
    const edit = new vscode.WorkspaceEdit();
    edit.set(doc.uri, edits);
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.equal(doc.getText(), 'input x = 2\ninput y = 3\nq = x * y # the product\n');
    const again = await vscode.commands.executeCommand<vscode.TextEdit[]>('vscode.executeFormatDocumentProvider', doc.uri, { tabSize: 2, insertSpaces: true });
    assert.equal(again?.length ?? 0, 0, 'formatting is idempotent');
    const messy = await scratch('input   a=1\ninput   b=2\n');
    const rangeEdits = await vscode.commands.executeCommand<vscode.TextEdit[]>('vscode.executeFormatRangeProvider', messy.uri, new vscode.Range(1, 0, 1, 5), { tabSize: 2, insertSpaces: true });
    const e2 = new vscode.WorkspaceEdit();
    e2.set(messy.uri, rangeEdits);
    assert.ok(await vscode.workspace.applyEdit(e2));
    assert.equal(messy.getText(), 'input   a=1\ninput b = 2\n', 'only the statement in the range');
  });
});
