// The language server over stdio, driven by a plain LSP client (test/lsp/client.ts): what any
// editor gets from `gradlens lsp --stdio`.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  CodeActionRequest,
  CodeLensRequest,
  CompletionRequest,
  DefinitionRequest,
  DidCloseTextDocumentNotification,
  DocumentFormattingRequest,
  DocumentSymbolRequest,
  FoldingRangeRequest,
  HoverRequest,
  InlayHintRequest,
  InlayHintResolveRequest,
  PrepareRenameRequest,
  ReferencesRequest,
  RenameRequest,
  SemanticTokensRequest,
  SignatureHelpRequest,
  type CodeAction,
  type CompletionItem,
  type DocumentSymbol,
  type Hover,
  type Location,
} from 'vscode-languageserver-protocol/node';
import { exampleUri, TestClient } from './client';

let client: TestClient;

before(async () => {
  client = new TestClient();
  await client.initialize();
});

after(async () => {
  await client.stop();
});

test('a clean file gets an empty list of diagnostics; a broken gate gets its error on the wrong line', async () => {
  const clean = exampleUri('circuit.grad');
  await client.open(clean.uri, clean.text);
  assert.deepEqual((await client.diagnosticsFor(clean.uri)).diagnostics, []);
  const broken = exampleUri('broken/wrong-sign.grad');
  await client.open(broken.uri, broken.text);
  const d = (await client.diagnosticsFor(broken.uri)).diagnostics.filter((x) => x.severity === 1);
  const gate = d.find((x) => x.code === 'gradcheck-failed' && String(x.message).includes('of `'));
  assert.ok(gate, JSON.stringify(d));
  const line = broken.text.split('\n')[gate.range.start.line];
  assert.match(line, /^\s*d\w+\s*=/, `the error sits on a d<input> line: ${line}`);
});

test('hover on a name shows its value and gradient', async () => {
  const { uri, text } = exampleUri('circuit.grad');
  await client.diagnosticsFor(uri);
  const line = text.split('\n').findIndex((l) => l.startsWith('q = '));
  const h = (await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line, character: 0 } })) as Hover;
  const value = typeof h.contents === 'object' && 'value' in h.contents ? h.contents.value : '';
  assert.match(value, /value \*\*3\*\*/);
  assert.match(value, /∂f\/∂q \*\*-4\*\*/);
});

test('a hover sent right after the file opens waits for its first values instead of answering nothing', async () => {
  const uri = 'file:///tmp/gradlens-hover-at-open.grad';
  await client.open(uri, 'input x = 3\nq = x * 4\nf = q * 2\n', 1);
  const h = (await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 1, character: 0 } })) as Hover | null;
  assert.ok(h, 'a hover, not null');
  const value = typeof h.contents === 'object' && 'value' in h.contents ? h.contents.value : '';
  assert.match(value, /value \*\*12\*\*/);
});

test('a typo gets a did-you-mean, and its fix carries an edit for the version it was computed for', async () => {
  const uri = 'file:///tmp/gradlens-typo.grad';
  await client.open(uri, 'input x = 2\ninput y = 3\nq = x * yy\n', 1);
  const d = (await client.diagnosticsFor(uri, 1)).diagnostics.find((x) => x.severity === 1);
  assert.ok(d, 'an error');
  assert.match(String(d.message), /did you mean `y`\?/i);
  const actions = (await client.connection.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range: d.range, context: { diagnostics: [d] } })) as CodeAction[];
  const fix = actions.find((a) => a.title === 'Change to `y`');
  assert.ok(fix, JSON.stringify(actions));
  const change = fix.edit?.documentChanges?.[0];
  assert.ok(change && 'textDocument' in change && change.textDocument.version === 1, JSON.stringify(change));
  assert.deepEqual(change.edits, [{ range: d.range, newText: 'y' }]);
});

test('code lenses: the gate verdict and its actions; inlay hints: shapes', async () => {
  const { uri, text } = exampleUri('affine-gate.grad');
  await client.open(uri, text);
  await client.diagnosticsFor(uri);
  const lenses = await client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } });
  const titles = (lenses ?? []).map((l) => l.command?.title ?? '');
  assert.ok(titles.some((t) => t.startsWith('✓ gradcheck')), titles.join(' | '));
  assert.ok(titles.includes('Derive backward'));
  // Values are at the line ends by default, not in lenses.
  assert.ok(!titles.some((t) => t.startsWith('value ')), titles.join(' | '));
  const hints = await client.connection.sendRequest(InlayHintRequest.type, { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 200, character: 0 } } });
  assert.ok((hints ?? []).some((h) => String(h.label).startsWith(': [')), JSON.stringify(hints).slice(0, 300));
});

test('inlay hints come from the shapes: no refresh once served; a gate local\'s sizes come when the hint is resolved', async () => {
  const { uri: base, text } = exampleUri('affine-gate.grad');
  const uri = base.replace('affine-gate.grad', 'affine-gate-hints.grad');
  let refreshes = 0;
  client.connection.onRequest('workspace/inlayHint/refresh', () => {
    refreshes++;
    return null;
  });
  try {
    await client.open(uri, text);
    // Asked at once, as VS Code does after opening: answered as soon as the shapes are known.
    const hints = (await client.connection.sendRequest(InlayHintRequest.type, { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 200, character: 0 } } })) ?? [];
    const served = refreshes;
    await client.finalAnalysisFor(uri);
    assert.equal(refreshes, served, 'the later phases have the same hints: no refresh');
    const lines = text.split('\n');
    const local = hints.find((h) => /^\s+d\w+ =/.test(lines[h.position.line]));
    assert.ok(local, `a hint on a backward line of the gate: ${JSON.stringify(hints).slice(0, 300)}`);
    const resolved = local.tooltip === undefined ? await client.connection.sendRequest(InlayHintResolveRequest.type, local) : local;
    assert.match(String(resolved.tooltip), /^\d+(×\d+)*$/, JSON.stringify(resolved));
  } finally {
    client.connection.onRequest('workspace/inlayHint/refresh', () => null);
    await client.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }
});

test('gradlens/didAnalyze carries the values at the line ends', async () => {
  const { uri, text } = exampleUri('circuit.grad');
  const edited = text.replace('input z = -4', 'input z = -2');
  await client.change(uri, edited, 2);
  const p = await client.finalAnalysisFor(uri, 2);
  const fLine = edited.split('\n').findIndex((l) => l.startsWith('f = '));
  assert.equal(p.lineValues.find((l) => l.line === fLine)?.text, 'f: value -6 · ∂f 1');
});

test('the phases of one text publish its diagnostics once when they agree, and again after the file is closed and reopened', async () => {
  const uri = 'file:///tmp/gradlens-phases.grad';
  // A gate with a hand-written backward: the analysis has phases (checks after the values).
  const { text } = exampleUri('affine-gate.grad');
  const sent = () => client.notifications.filter((n) => n.method === 'textDocument/publishDiagnostics' && (n.params as { uri: string }).uri === uri).map((n) => n.params as { version?: number; diagnostics: unknown[] });
  const analyses = () => client.notifications.filter((n) => n.method === 'gradlens/didAnalyze' && (n.params as { uri: string }).uri === uri).map((n) => n.params as { phase?: string });
  await client.open(uri, text);
  const first = await client.diagnosticsFor(uri, 1);
  assert.ok(analyses().every((p) => p.phase !== 'shapes'), 'no didAnalyze for shapes alone');
  const lists = sent().map((p) => JSON.stringify(p.diagnostics));
  assert.equal(new Set(lists).size, lists.length, `each list of version 1 sent once: ${lists.length} sent`);
  assert.deepEqual(JSON.parse(lists[lists.length - 1]), first.diagnostics);
  await client.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  await client.until('the problems cleared on close', () => sent().at(-1)?.diagnostics.length === 0);
  const before = sent().length;
  await client.open(uri, text);
  await client.finalAnalysisFor(uri, 1);
  await client.until('the diagnostics of the reopened file', () => sent().length > before);
  assert.deepEqual(sent().at(-1)?.diagnostics, first.diagnostics);
});

test('completion offers ops with their summary and a snippet; signature help names the active parameter', async () => {
  const uri = 'file:///tmp/gradlens-complete.grad';
  const text = 'dims N = 4, D = 3\ninput x: [N, D]\nh = rel\n';
  await client.open(uri, text);
  const items = (await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line: 2, character: 7 } })) as CompletionItem[];
  const relu = items.find((i) => i.label === 'relu');
  assert.ok(relu, items.map((i) => i.label).join(', '));
  assert.equal(relu.insertTextFormat, 2, 'a snippet');
  const sig = await client.connection.sendRequest(SignatureHelpRequest.type, { textDocument: { uri }, position: { line: 2, character: 7 } });
  assert.equal(sig, null, 'no call here yet');
  await client.change(uri, 'dims N = 4, D = 3\ninput x: [N, D]\nh = sum(x, \n', 2);
  const help = await client.connection.sendRequest(SignatureHelpRequest.type, { textDocument: { uri }, position: { line: 2, character: 11 } });
  assert.ok(help, 'signature help inside sum(');
  assert.match(help.signatures[0].label, /^sum\(x, axis=/);
  assert.equal(help.activeParameter, 1);
});

test('definition, references and rename: renaming a gate input renames its d<input>', async () => {
  const { uri, text } = exampleUri('affine-gate.grad');
  const lines = text.split('\n');
  const header = lines.findIndex((l) => l.startsWith('gate affine('));
  const wAt = lines[header].indexOf('W:');
  const refs = (await client.connection.sendRequest(ReferencesRequest.type, { textDocument: { uri }, position: { line: header, character: wAt }, context: { includeDeclaration: true } })) ?? [];
  assert.ok(refs.length >= 3, JSON.stringify(refs));
  const useLine = lines.findIndex((l) => l.includes('out = X @ W + b'));
  const def = (await client.connection.sendRequest(DefinitionRequest.type, { textDocument: { uri }, position: { line: useLine, character: lines[useLine].indexOf('W +') } })) as Location;
  assert.equal(def.range.start.line, header);
  const edit = await client.connection.sendRequest(RenameRequest.type, { textDocument: { uri }, position: { line: header, character: wAt }, newName: 'Wx' });
  const change = edit?.documentChanges?.[0];
  assert.ok(change && 'edits' in change);
  const renamed = change.edits.map((e) => text.split('\n')[e.range.start.line].slice(e.range.start.character, e.range.end.character));
  assert.ok(renamed.includes('dW'), `dW is renamed too: ${renamed.join(', ')}`);
  assert.ok(change.edits.some((e) => 'newText' in e && e.newText === 'dWx'));
  // An operation cannot be renamed: the refusal comes back as an error with the reason.
  const reluLine = lines.findIndex((l) => l.includes('out = relu(x)'));
  await assert.rejects(
    client.connection.sendRequest(PrepareRenameRequest.type, { textDocument: { uri }, position: { line: reluLine, character: lines[reluLine].indexOf('relu') + 1 } }),
    /`relu` is an operation/,
  );
});

test('outline, semantic tokens, folding and formatting', async () => {
  const { uri } = exampleUri('affine-gate.grad');
  const symbols = ((await client.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } })) ?? []) as DocumentSymbol[];
  const gate = symbols.find((s) => s.name === 'affine');
  assert.ok(gate, symbols.map((s) => s.name).join(', '));
  const backward = (gate.children ?? []).find((c) => c.name === 'backward');
  assert.ok((backward?.children ?? []).some((c) => c.name === 'dW' && c.detail === '[K, M]'), 'the backward lines are in the gate, with their shapes');
  const tokens = await client.connection.sendRequest(SemanticTokensRequest.type, { textDocument: { uri } });
  assert.ok(tokens && tokens.data.length > 0 && tokens.data.length % 5 === 0);
  const folds = (await client.connection.sendRequest(FoldingRangeRequest.type, { textDocument: { uri } })) ?? [];
  assert.ok(folds.length >= 2);
  const messy = 'file:///tmp/gradlens-fmt.grad';
  await client.open(messy, 'input   x=2\ny=x*x   # square\n');
  const edits = (await client.connection.sendRequest(DocumentFormattingRequest.type, { textDocument: { uri: messy }, options: { tabSize: 2, insertSpaces: true } })) ?? [];
  assert.equal(edits.length, 1);
  assert.equal(edits[0].newText, 'input x = 2\ny = x * x # square\n');
});
