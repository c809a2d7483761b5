// The TextMate grammar, tokenised with VS Code's own engine (vscode-textmate + oniguruma): key
// scopes are asserted explicitly, and the tokens of every example are compared with a snapshot
// (regenerate with UPDATE_SNAPSHOTS=1 after checking the diff).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as oniguruma from 'vscode-oniguruma';
import * as textmate from 'vscode-textmate';

const root = join(__dirname, '..', '..');

async function loadGrammar(): Promise<textmate.IGrammar> {
  const wasm = readFileSync(join(root, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({ createOnigScanner: (p) => new oniguruma.OnigScanner(p), createOnigString: (s) => new oniguruma.OnigString(s) }),
    loadGrammar: async () => textmate.parseRawGrammar(readFileSync(join(root, 'syntaxes', 'grad.tmLanguage.json'), 'utf8'), 'grad.tmLanguage.json'),
  });
  const g = await registry.loadGrammar('source.grad');
  assert.ok(g);
  return g;
}

const grammarPromise = loadGrammar();

/** Each token as `text → innermost scope` per line. */
async function tokenize(text: string): Promise<string[][]> {
  const g = await grammarPromise;
  let stack = textmate.INITIAL;
  return text.split('\n').map((line) => {
    const r = g.tokenizeLine(line, stack);
    stack = r.ruleStack;
    return r.tokens.filter((t) => line.slice(t.startIndex, t.endIndex).trim()).map((t) => `${line.slice(t.startIndex, t.endIndex)} → ${t.scopes[t.scopes.length - 1]}`);
  });
}

async function scopeOf(text: string, line: number, token: string): Promise<string> {
  const lines = await tokenize(text);
  const t = lines[line].find((x) => x.startsWith(`${token} →`));
  assert.ok(t, `no token \`${token}\` on line ${line}: ${lines[line].join(' | ')}`);
  return t.split(' → ')[1];
}

test('grammar: keywords, declarations, dimensions, numbers and comments', async () => {
  const text = 'dims N = 4, D = 10\ninput X: [N, D] ~ he  # data\nparam b: [D] = 0.5\nseed 42';
  assert.equal(await scopeOf(text, 0, 'dims'), 'keyword.other.dims.grad');
  assert.equal(await scopeOf(text, 0, 'N'), 'entity.name.type.dimension.grad');
  assert.equal(await scopeOf(text, 1, 'input'), 'storage.type.declaration.grad');
  assert.equal(await scopeOf(text, 1, 'X'), 'variable.other.declaration.grad');
  assert.equal(await scopeOf(text, 1, 'D'), 'entity.name.type.dimension.grad');
  assert.equal(await scopeOf(text, 1, 'he'), 'support.function.init.grad');
  assert.equal(await scopeOf(text, 1, '# data'), 'comment.line.number-sign.grad');
  assert.equal(await scopeOf(text, 2, '0.5'), 'constant.numeric.grad');
  assert.equal(await scopeOf(text, 3, 'seed'), 'keyword.other.seed.grad');
});

test('grammar: built-in ops, operators, transposes, gate and backward blocks, gradient names', async () => {
  const text = 'gate affine(X: [N, D], W: [D, M]) -> out: [N, M] {\n  out = relu(X @ W)\n  backward {\n    dX = dout @ W.T\n  }\n}';
  assert.equal(await scopeOf(text, 0, 'gate'), 'keyword.other.gate.grad');
  assert.equal(await scopeOf(text, 0, 'affine'), 'entity.name.function.gate.grad');
  assert.equal(await scopeOf(text, 1, 'relu'), 'support.function.builtin.grad');
  assert.equal(await scopeOf(text, 1, '@'), 'keyword.operator.arithmetic.grad');
  assert.equal(await scopeOf(text, 2, 'backward'), 'keyword.other.backward.grad');
  assert.equal(await scopeOf(text, 3, 'dX'), 'variable.other.gradient.grad');
  assert.equal(await scopeOf(text, 3, 'dout'), 'variable.other.gradient.grad');
  assert.equal(await scopeOf(text, 3, '.T'), 'keyword.operator.transpose.grad');
});

test('grammar snapshot of every example', async () => {
  const dir = join(root, 'examples');
  const files = [...readdirSync(dir).filter((f) => f.endsWith('.grad')), ...readdirSync(join(dir, 'broken')).map((f) => `broken/${f}`)].sort();
  const out: string[] = [];
  for (const f of files) {
    out.push(`=== ${f}`);
    const lines = await tokenize(readFileSync(join(dir, f), 'utf8'));
    lines.forEach((l, i) => l.length && out.push(`${i + 1}: ${l.join(' | ')}`));
  }
  const snapshot = out.join('\n') + '\n';
  const file = join(__dirname, '__snapshots__', 'grammar.txt');
  if (process.env.UPDATE_SNAPSHOTS === '1' || !existsSync(file)) {
    mkdirSync(join(__dirname, '__snapshots__'), { recursive: true });
    writeFileSync(file, snapshot);
  }
  assert.equal(snapshot, readFileSync(file, 'utf8'), 'the grammar tokenises the examples differently: check the change and run with UPDATE_SNAPSHOTS=1');
});
