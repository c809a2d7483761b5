// Document and workspace symbols, semantic tokens, folding and selection ranges on the examples.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeSemanticTokens,
  documentSymbols,
  foldingRanges,
  SEMANTIC_TOKENS_LEGEND,
  selectionRanges,
  semanticTokens,
  workspaceSymbols,
  type DocumentSymbol,
  type SelectionRange,
} from '../../src/core/ide';
import { example, nth, slice } from './helpers/ide';

const affineGate = example('affine-gate.grad');
const twoLayer = example('two-layer-net.grad');

const contains = (outer: DocumentSymbol['range'], inner: DocumentSymbol['range']) =>
  (outer.start.line < inner.start.line || (outer.start.line === inner.start.line && outer.start.character <= inner.start.character)) &&
  (outer.end.line > inner.end.line || (outer.end.line === inner.end.line && outer.end.character >= inner.end.character));

test('document symbols: declarations with their shapes, gates with inputs, body lines and backward lines', () => {
  const syms = documentSymbols(affineGate);
  assert.deepEqual(
    syms.map((s) => `${s.kind} ${s.name} ${s.detail}`),
    ['seed seed 0', 'dim N = 4', 'dim D = 10', 'dim H = 5', 'dim C = 3', 'input X [N, D]', 'input y int[N]', 'param W1 [D, H]', 'param b1 [H]', 'param W2 [H, C]', 'param b2 [C]', 'gate affine (X, W, b) -> out', 'gate relu_layer (x) -> out', 'node h1 [N, H]', 'node scores [N, C]', 'node loss []'],
  );
  const affine = syms.find((s) => s.name === 'affine') as DocumentSymbol;
  assert.deepEqual(
    affine.children.map((c) => `${c.kind} ${c.name} ${c.detail}`),
    ['gateInput X [B, K]', 'gateInput W [K, M]', 'gateInput b [M]', 'gateOutput out [B, M]', 'backward backward '],
  );
  assert.deepEqual(affine.children[4].children.map((c) => `${c.name} ${c.detail}`), ['dX [B, K]', 'dW [K, M]', 'db [M]']);
  assert.equal(slice(affineGate, affine.selectionRange), 'affine');
  const check = (s: DocumentSymbol) => {
    assert.ok(contains(s.range, s.selectionRange), s.name);
    for (const c of s.children) {
      assert.ok(contains(s.range, c.range), `${s.name} > ${c.name}`);
      check(c);
    }
  };
  syms.forEach(check);
  assert.equal(affine.lspKind, 12);
});

test('workspace symbols: prefix before substring before letters in order, across files, with the gate as container', () => {
  const files = [
    { uri: 'file:///a.grad', text: affineGate },
    { uri: 'file:///b.grad', text: twoLayer },
    { uri: 'file:///c.grad', text: example('softmax-loss.grad') },
  ];
  const w = workspaceSymbols(files, 'W1');
  assert.deepEqual(w.map((s) => `${s.name} ${s.uri}`), ['W1 file:///a.grad', 'W1 file:///b.grad']);
  const dw = workspaceSymbols(files, 'dw');
  assert.deepEqual(dw.map((s) => `${s.name} ${s.containerName}`), ['dW affine']);
  const fuzzy = workspaceSymbols(files, 'sftl');
  assert.deepEqual(fuzzy.map((s) => s.name), ['softmax_loss']);
  const ranked = workspaceSymbols(files, 'b');
  assert.equal(ranked[0].name, 'b', 'an exact match first');
  assert.ok(ranked.findIndex((s) => s.name === 'b1') < ranked.findIndex((s) => s.name === 'by_hand'), 'prefixes sorted by name after the exact match');
  assert.ok(ranked.findIndex((s) => s.name === 'db') > ranked.findIndex((s) => s.name === 'b2'), 'a substring after the prefixes');
});

test('semantic tokens: gate inputs are parameters, d-names gradients, dimensions types, ops default library', () => {
  const tokens = decodeSemanticTokens(semanticTokens(affineGate));
  const at = (needle: string, n = 0, delta = 0) => {
    const o = nth(affineGate, needle, n, delta);
    const before = affineGate.slice(0, o).split('\n');
    const line = before.length - 1;
    const character = before[before.length - 1].length;
    return tokens.find((t) => t.line === line && t.character === character);
  };
  const show = (t: ReturnType<typeof at>) => (t ? `${t.type}${t.modifiers.length ? `.${t.modifiers.join('.')}` : ''}` : 'none');
  assert.equal(show(at('W: [K, M]')), 'parameter.declaration');
  assert.equal(show(at('X @ W', 0, 4)), 'parameter');
  assert.equal(show(at('dW =')), 'variable.declaration.gradient');
  assert.equal(show(at('dout @ W')), 'variable.gradient');
  assert.equal(show(at('[B, K]', 0, 1)), 'type.declaration');
  assert.equal(show(at('N, D]')), 'type');
  assert.equal(show(at('relu(x)')), 'function.defaultLibrary');
  assert.equal(show(at('~ he', 0, 2)), 'function.defaultLibrary');
  assert.equal(show(at('axis=0')), 'parameter');
  assert.equal(show(at('param W1', 0, 6)), 'variable.declaration.param');
  assert.equal(show(at('input X', 0, 6)), 'variable.declaration.input');
  assert.equal(show(at('gate affine', 0, 5)), 'function.declaration.gate');
  assert.equal(show(at('  out = X', 0, 2)), 'variable.modification');
  assert.equal(show(at('axis=0', 0, 5)), 'none', 'numbers are left to the grammar');
  const regLine = twoLayer.slice(0, nth(twoLayer, 'const reg')).split('\n').length - 1;
  const reg = decodeSemanticTokens(semanticTokens(twoLayer)).find((t) => t.line === regLine && t.character === 6);
  assert.deepEqual(reg?.modifiers, ['declaration', 'readonly']);
  // The encoding: sorted, relative, non-overlapping, indices inside the legend.
  const data = semanticTokens(affineGate);
  assert.equal(data.length % 5, 0);
  for (let i = 0; i < data.length; i += 5) {
    assert.ok(data[i] >= 0 && (data[i] > 0 || i === 0 || data[i + 1] >= data[i - 3]), 'positions ascend, no overlap');
    assert.ok(data[i + 3] < SEMANTIC_TOKENS_LEGEND.tokenTypes.length);
    assert.ok(data[i + 4] < 1 << SEMANTIC_TOKENS_LEGEND.tokenModifiers.length);
  }
});

test('folding: gates and backward blocks keep their `}` visible; comment runs; multi-line lists', () => {
  assert.deepEqual(foldingRanges(affineGate), [
    { startLine: 0, endLine: 4, kind: 'comment' },
    { startLine: 16, endLine: 22, kind: 'region' },
    { startLine: 18, endLine: 21, kind: 'region' },
    { startLine: 25, endLine: 29, kind: 'region' },
    { startLine: 27, endLine: 28, kind: 'region' },
  ]);
  const matrix = 'param W: [2, 3] = [\n  [1, 2, 3],\n  [4, 5, 6]\n]\n# one comment\nx = 1\n';
  assert.deepEqual(foldingRanges(matrix), [{ startLine: 0, endLine: 2 }]);
});

test('selection ranges grow from the name to the file, each containing the last', () => {
  const [sel] = selectionRanges(affineGate, [nth(affineGate, 'W.T')]);
  const chain: string[] = [];
  for (let r: SelectionRange | undefined = sel; r; r = r.parent) {
    if (r.parent) assert.ok(contains(r.parent.range, r.range));
    chain.push(slice(affineGate, r.range).split('\n')[0]);
  }
  assert.deepEqual(chain.slice(0, 4), ['W', 'W.T', 'dout @ W.T', 'dX = dout @ W.T']);
  assert.equal(chain[chain.length - 1], '# A hand-written layer, as in a cs231n assignment: the affine gate with its backward pass.');
  assert.ok(chain.includes('backward {') && chain.includes('gate affine(X: [B, K], W: [K, M], b: [M]) -> out: [B, M] {'));
  const [kw] = selectionRanges(twoLayer, [nth(twoLayer, 'reg * (l2', 0, 8)]);
  const texts: string[] = [];
  for (let r: SelectionRange | undefined = kw; r; r = r.parent) texts.push(slice(twoLayer, r.range));
  // A parenthesised expression's range includes its parentheses.
  assert.deepEqual(texts.slice(0, 5), ['l2', 'l2(W1)', '(l2(W1) + l2(W2))', 'reg * (l2(W1) + l2(W2))', 'softmax_ce(scores, y) + reg * (l2(W1) + l2(W2))']);
});
