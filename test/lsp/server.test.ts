// The language server over stdio, driven by a plain LSP client (test/lsp/client.ts): what any
// editor gets from `gradlens lsp --stdio`.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CodeActionRequest, CodeLensRequest, HoverRequest, InlayHintRequest, type CodeAction, type Hover } from 'vscode-languageserver-protocol/node';
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

test('gradlens/didAnalyze carries the values at the line ends', async () => {
  const { uri, text } = exampleUri('circuit.grad');
  const edited = text.replace('input z = -4', 'input z = -2');
  await client.change(uri, edited, 2);
  const p = await client.until('didAnalyze v2', () =>
    client.notifications.filter((n) => n.method === 'gradlens/didAnalyze').map((n) => n.params as { uri: string; version: number; lineValues: { line: number; text: string }[] }).find((n) => n?.uri === uri && n.version === 2),
  );
  const fLine = edited.split('\n').findIndex((l) => l.startsWith('f = '));
  assert.equal(p.lineValues.find((l) => l.line === fLine)?.text, 'f: value -6 · ∂f 1');
});
