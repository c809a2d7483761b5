import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DiagnosticSink } from '../../src/core/diagnostics';
import type { Assign, Expr, GateDecl, Program, TensorDecl } from '../../src/core/lang/ast';
import { lex } from '../../src/core/lang/lexer';
import { MAX_NESTING, parse } from '../../src/core/lang/parser';

function parseOk(text: string): Program {
  const sink = new DiagnosticSink();
  const p = parse(text, sink);
  assert.deepEqual(sink.items.map((d) => d.message), [], 'unexpected diagnostics');
  return p;
}

function parseWith(text: string): { program: Program; sink: DiagnosticSink } {
  const sink = new DiagnosticSink();
  return { program: parse(text, sink), sink };
}

/** Fully parenthesised rendering of an expression, to check precedence. */
function show(e: Expr): string {
  switch (e.kind) {
    case 'num':
      return e.text;
    case 'bool':
      return String(e.value);
    case 'name':
      return e.name;
    case 'list':
      return `[${e.items.map(show).join(', ')}]`;
    case 'unary':
      return `(-${show(e.operand)})`;
    case 'binary':
      return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case 'transpose':
      return `${show(e.operand)}.T`;
    case 'index':
      return `${show(e.operand)}[${e.items.map((i) => (i.kind === 'at' ? i.value : `${i.start ?? ''}:${i.stop ?? ''}`)).join(', ')}]`;
    case 'call':
      return `${e.callee}(${[...e.args.map(show), ...e.kwargs.map((k) => `${k.name}=${show(k.value)}`)].join(', ')})`;
    case 'error':
      return '<error>';
  }
}

function expr(text: string): string {
  const p = parseOk(`y = ${text}\n`);
  return show((p.statements[0] as Assign).expr);
}

test('lexer: numbers in every spec form, ranges and transposes', () => {
  const sink = new DiagnosticSink();
  const toks = lex('3 -2 1e-3 0.5 .5 2.5E+2 0..C x.T 1.', sink);
  assert.deepEqual(sink.items, []);
  const nums = toks.filter((t) => t.kind === 'number').map((t) => t.value);
  assert.deepEqual(nums, [3, 2, 1e-3, 0.5, 0.5, 250, 0, 1]);
  assert.ok(toks.some((t) => t.text === '..'), '`0..C` lexes a range');
});

test('lexer: a trailing quote on a name is reported once with a fix hint', () => {
  const sink = new DiagnosticSink();
  lex("x' = 1", sink);
  assert.equal(sink.items.length, 1);
  assert.equal(sink.items[0].code, 'invalid-name');
  assert.match(sink.items[0].message, /x_prime/);
  assert.deepEqual(sink.items[0].span, { start: 0, end: 2 });
});

test('lexer: malformed numbers and stray characters', () => {
  const sink = new DiagnosticSink();
  lex('a = 1e\nb = 3x\nc = a × b', sink);
  assert.deepEqual(
    sink.items.map((d) => d.code),
    ['invalid-number', 'invalid-number', 'invalid-character'],
  );
  assert.match(sink.items[2].message, /`@` for matrix product/);
});

test('lexer: a line ending in an operator, comma or open bracket continues', () => {
  const p = parseOk('y = 1 +\n  2\nz = max(1,\n  2)\nw = [\n  [1, 2],\n  [3, 4]\n]\n');
  assert.equal(p.statements.length, 3);
  assert.equal(show((p.statements[0] as Assign).expr), '(1 + 2)');
});

test('precedence: + - < * / < @ < unary - < ** < postfix', () => {
  assert.equal(expr('a + b * c'), '(a + (b * c))');
  assert.equal(expr('a * b @ c'), '(a * (b @ c))');
  assert.equal(expr('-a @ b'), '((-a) @ b)');
  assert.equal(expr('-x ** 2'), '(-(x ** 2))');
  assert.equal(expr('x ** -1'), '(x ** (-1))');
  assert.equal(expr('a - b - c'), '((a - b) - c)');
  assert.equal(expr('X.T @ dout'), '(X.T @ dout)');
  assert.equal(expr('w[0] * x[-1]'), '(w[0] * x[-1])');
  assert.equal(expr('x[1:3, :]'), 'x[1:3, :]');
  assert.equal(expr('sum(x, axis=0, keepdims=true)'), 'sum(x, axis=0, keepdims=true)');
  assert.equal(expr('dout * (x > 0)'), '(dout * (x > 0))');
  assert.equal(expr('(a + b).T'), '(a + b).T');
});

test('declarations: every form of the spec', () => {
  const p = parseOk(
    [
      'seed 42',
      'dims N = 4, D = 10, H = 5, C = 3',
      'input  X: [N, D]',
      'input  y: int[N] in 0..C',
      'input  x = -2',
      'param  W1: [D, H] ~ he',
      'param  b1: [H] = 0',
      'param  w: [3] = [2, -3, -3]',
      'param  V: [D, H] ~ normal(0.01)',
      'const  reg = 1e-3',
      'expect shape X == [N, D]',
      'expect grad x == -4',
      'expect value x ~= -2.0',
    ].join('\n'),
  );
  const kinds = p.statements.map((s) => s.kind);
  assert.deepEqual(kinds, ['seed', 'dims', 'decl', 'decl', 'decl', 'decl', 'decl', 'decl', 'decl', 'decl', 'expect', 'expect', 'expect']);
  const y = p.statements[3] as TensorDecl;
  assert.equal(y.type?.isInt, true);
  assert.deepEqual(y.range?.hi, { kind: 'name', name: 'C', span: y.range?.hi.span });
  const v = p.statements[8] as TensorDecl;
  assert.equal(v.init?.kind, 'random');
});

test('gates: header, body and backward block', () => {
  const p = parseOk(`gate affine(X: [N, D], W: [D, M], b: [M]) -> out: [N, M] {
  out = X @ W + b
  backward {
    dX = dout @ W.T
    dW = X.T @ dout
    db = sum(dout, axis=0)
  }
}
z1 = affine(X, W1, b1)
`);
  const g = p.statements[0] as GateDecl;
  assert.equal(g.name, 'affine');
  assert.deepEqual(
    g.params.map((x) => x.name),
    ['X', 'W', 'b'],
  );
  assert.equal(g.output.name, 'out');
  assert.equal(g.body.length, 1);
  assert.deepEqual(
    g.backward?.body.map((a) => a.name),
    ['dX', 'dW', 'db'],
  );
  assert.equal(p.statements[1].kind, 'assign');
});

test('recovery: one typo yields one diagnostic and the rest of the file still parses', () => {
  const { program, sink } = parseWith('input x = 1\ny = (x + * 2\nz = x * 3\nw = z + 1\n');
  assert.equal(sink.items.length, 1);
  assert.equal(sink.items[0].code, 'syntax');
  assert.deepEqual(
    program.statements.map((s) => (s.kind === 'assign' || s.kind === 'decl' ? s.name : s.kind)),
    ['x', 'z', 'w'],
  );
});

test('recovery inside a gate keeps the gate and the statements after it', () => {
  const { program, sink } = parseWith(`gate f(x: [N]) -> out: [N] {
  out = x *
  backward {
    dx = dout * 2 2
  }
}
y = 3
`);
  assert.equal(sink.items.length, 2, sink.items.map((d) => d.message).join('\n'));
  assert.deepEqual(
    program.statements.map((s) => s.kind),
    ['gate', 'assign'],
  );
});

test('syntax errors say what was expected and what was found, at a precise range', () => {
  const { sink } = parseWith('y = relu(x\nz = 1\n');
  assert.equal(sink.items.length, 1);
  const d = sink.items[0];
  assert.match(d.message, /expected `\)` or `,`, found the end of the line/);
  assert.deepEqual(d.span, { start: 10, end: 10 });
  const { sink: s2 } = parseWith('x y = 3\n');
  assert.match(s2.items[0].message, /expected `=` after `x`/);
  const { sink: s3 } = parseWith('y = x.shape\n');
  assert.match(s3.items[0].message, /only attribute is `\.T`/);
});

test('deep nesting is a diagnostic, not a stack overflow', () => {
  const depth = 100_000;
  const text = `input x = 1\ny = ${'('.repeat(depth)}x${')'.repeat(depth)}\nz = x + 1\n`;
  const { program, sink } = parseWith(text);
  assert.equal(sink.items.length, 1);
  assert.match(sink.items[0].message, new RegExp(`nested more than ${MAX_NESTING} levels`));
  assert.ok(program.statements.some((s) => s.kind === 'assign' && s.name === 'z'));
});

test('very long operator chains are bounded', () => {
  const text = `input x = 1\ny = ${Array.from({ length: 50_000 }, () => 'x').join(' + ')}\nz = x\n`;
  const { program, sink } = parseWith(text);
  assert.equal(sink.items.length, 1);
  assert.match(sink.items[0].message, /more than 1000 operators/);
  assert.ok(program.statements.some((s) => s.kind === 'assign' && s.name === 'z'));
});

test('ranges are kept on every node', () => {
  const text = 'y = a @ b.T\n';
  const p = parseOk(text);
  const e = (p.statements[0] as Assign).expr;
  assert.equal(text.slice(e.span.start, e.span.end), 'a @ b.T');
  assert.equal(e.kind, 'binary');
  if (e.kind === 'binary') {
    assert.equal(text.slice(e.opSpan.start, e.opSpan.end), '@');
    assert.equal(text.slice(e.right.span.start, e.right.span.end), 'b.T');
  }
});
