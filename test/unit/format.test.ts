// The canonical formatter: the examples are already canonical, each layout rule does what it says,
// and on every example, fixture and fuzz input (random programs, mutated examples, well-typed
// programs, and all of them with their whitespace scrambled) formatting is idempotent and keeps
// the tokens and the syntax tree (compared without source positions).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { DiagnosticSink } from '../../src/core/diagnostics';
import { formatDocument, formatOnType, formatRange, formatText, sameMeaning, stripSpans, syntaxFingerprint, tokenTexts } from '../../src/core/format';
import { lex } from '../../src/core/lang/lexer';
import { parse } from '../../src/core/lang/parser';
import { exampleTexts, mutation, program, wellTyped } from '../fuzz/generators';

const root = join(__dirname, '..', '..');

function gradFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return gradFiles(p);
    return e.name.endsWith('.grad') ? [p] : [];
  });
}

const corpus = [...gradFiles(join(root, 'examples')), ...gradFiles(join(root, 'test', 'fixtures')), ...gradFiles(join(root, 'test', 'fuzz', 'regressions'))];

const fmt = (lines: string[]) => formatText(`${lines.join('\n')}\n`);
const expectFmt = (input: string[], output: string[]) => assert.equal(fmt(input), `${output.join('\n')}\n`);

test('every example is already canonical (what `gradlens fmt --check examples` checks)', () => {
  const examples = corpus.filter((f) => f.includes(`${join(root, 'examples')}`));
  assert.ok(examples.length >= 20);
  for (const f of examples) {
    const text = readFileSync(f, 'utf8');
    assert.equal(formatText(text), text, f);
  }
});

test('spacing: one space around binary operators (** too) and after commas, none inside brackets', () => {
  expectFmt(['loss=sum(h**2)+ -1*sum( h[0:2,:] )/N'], ['loss = sum(h ** 2) + -1 * sum(h[0:2, :]) / N']);
  expectFmt(['m = (a>0)*b@c .T-[1,2 ,3]'], ['m = (a > 0) * b @ c.T - [1, 2, 3]']);
  expectFmt(['e = exp( - x ) + x[ - 1 ] + x[1 : ]'], ['e = exp(-x) + x[-1] + x[1:]']);
});

test('spacing: keyword arguments are tight, declarations read `name: [N, D] ~ init`', () => {
  expectFmt(['s = sum(x , axis = 0 , keepdims=true)'], ['s = sum(x, axis=0, keepdims=true)']);
  expectFmt(['input  X :[ N,D ]', 'param W:[D,N]~normal( std = 0.1 )', 'input y:int[ N ] in 0 .. C', 'const  reg=1e-3'], ['input X: [N, D]', 'param W: [D, N] ~ normal(std=0.1)', 'input y: int[N] in 0..C', 'const reg = 1e-3']);
  expectFmt(['dims N=4,D = 10', 'seed   3', 'expect value f~=-0.5', 'expect shape h==[ N ,D]'], ['dims N = 4, D = 10', 'seed 3', 'expect value f ~= -0.5', 'expect shape h == [N, D]']);
});

test('gates: one statement per line, 2 spaces per block, `}` on its own line', () => {
  expectFmt(
    ['gate f( x:[N] ,W:[N])->out:[N] { out=x*W', 'backward{ dx = dout*W', '        dW=dout*x } }', 'y = f(a, W=b)'],
    ['gate f(x: [N], W: [N]) -> out: [N] {', '  out = x * W', '  backward {', '    dx = dout * W', '    dW = dout * x', '  }', '}', 'y = f(a, W=b)'],
  );
  expectFmt(['gate g(x: [N]) -> out: [N] {', '', '\tout = relu(x)', '', '', '\tz = out', '', '}'], ['gate g(x: [N]) -> out: [N] {', '  out = relu(x)', '', '  z = out', '}']);
});

test('continuation lines keep their breaks, indented by open brackets', () => {
  expectFmt(['param W: [2, 3] = [', '[1, 2, 3],', '        [4, 5, 6]', '     ]'], ['param W: [2, 3] = [', '  [1, 2, 3],', '  [4, 5, 6]', ']']);
  expectFmt(['loss = softmax_ce(scores, y) +', 'reg * l2(W)'], ['loss = softmax_ce(scores, y) +', '  reg * l2(W)']);
  expectFmt(['h = conv2d(x, w, b,', '  # the usual padding', '           stride=1, pad=1)'], ['h = conv2d(x, w, b,', '  # the usual padding', '  stride=1, pad=1)']);
});

test('blank lines: at most one in a row, none at the start or end of the file or a block', () => {
  assert.equal(formatText('\n\n# head\n\n\n\nx = 1\n\n\n'), '# head\n\nx = 1\n');
  assert.equal(formatText('x = 1'), 'x = 1\n');
  assert.equal(formatText(''), '');
  assert.equal(formatText('x = 1   \n# note   \n'), 'x = 1\n# note\n');
});

test('comments: text kept, trailing comments keep their column and at least one space', () => {
  expectFmt(['x=1# one', 'yy = 2    # two'], ['x = 1 # one', 'yy = 2    # two']);
  // An aligned run stays aligned when one line grows into the column.
  expectFmt(['a = f(x)   # first', 'b = g(x,y) # second'], ['a = f(x)    # first', 'b = g(x, y) # second']);
  expectFmt(['    # indented comment', 'gate f(x: [N]) -> out: [N] {', '# inside', 'out = x', '}'], ['# indented comment', 'gate f(x: [N]) -> out: [N] {', '  # inside', '  out = x', '}']);
});

test('`=` of consecutive assignments: aligned runs stay aligned (tightly), others get one space', () => {
  expectFmt(['h1      = relu(x)', 'scores  = h1', 'loss    = sum(scores)'], ['h1     = relu(x)', 'scores = h1', 'loss   = sum(scores)']);
  expectFmt(['a  = 1', 'bbb = 2'], ['a = 1', 'bbb = 2']);
  expectFmt(['h1 = relu(x)', 'h2 = relu(h1)', 'loss = sum(h2)'], ['h1 = relu(x)', 'h2 = relu(h1)', 'loss = sum(h2)']);
});

test('line endings: CRLF files stay CRLF unless asked', () => {
  assert.equal(formatText('x=1\r\ny=x\r\n'), 'x = 1\r\ny = x\r\n');
  assert.equal(formatText('x=1\r\n', { eol: '\n' }), 'x = 1\n');
});

test('a statement with a syntax error is left exactly as written; the others are formatted', () => {
  const r = formatDocument('a=1\nb = *  2   \nc=3\n');
  assert.equal(r.text, 'a = 1\nb = *  2   \nc = 3\n');
  assert.equal(r.syntaxErrors, 1);
  assert.deepEqual(r.skipped, [{ start: 4, end: 15 }]);
  // An unclosed gate swallows the rest of the file: all of it stays as written.
  const unclosed = 'x=1\ngate f(x: [N]) -> out: [N] {\n  out=x\ny=2\n';
  assert.equal(formatText(unclosed), 'x = 1\ngate f(x: [N]) -> out: [N] {\n  out=x\ny=2\n');
});

test('range formatting rewrites only the statements the range touches', () => {
  const text = 'a=1\nb=a+1  # keep\n\nc=b*2\n';
  const edits = formatRange(text, { start: text.indexOf('b='), end: text.indexOf('b=') + 1 });
  assert.deepEqual(edits, [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 13 } }, newText: 'b = a + 1 # keep' }]);
  assert.deepEqual(formatRange('a = 1\n', { start: 0, end: 5 }), []);
});

test('the span-stripping comparison tells layout changes from token changes', () => {
  assert.ok(sameMeaning('a = x+y\n', 'a   =   x + y'));
  assert.ok(!sameMeaning('a = x + y\n', 'a = x - y\n'));
  assert.ok(!sameMeaning('a = x\nb = y\n', 'a = x b = y\n'), 'a newline that ends a statement matters');
  assert.deepEqual(stripSpans({ kind: 'name', name: 'x', span: { start: 0, end: 1 }, nameSpan: { start: 0, end: 1 } }), { kind: 'name', name: 'x' });
});

/** Rewrites the whitespace between tokens at random (never between two tokens that touch), indents and adds blank lines. */
function respace(text: string, rnd: () => number): string {
  const tokens = lex(text, new DiagnosticSink()).filter((t) => t.kind !== 'newline');
  let out = '';
  let pos = 0;
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  for (const t of tokens) {
    const gap = text.slice(pos, t.span.start);
    if (/^[ \t]*$/.test(gap)) out += gap === '' ? pick(['', '', ' ']) : pick([' ', '  ', '\t', '   ']);
    else if (/^[\s]*$/.test(gap) || /^[ \t]*(#[^\n\r]*)?(\r?\n[ \t]*(#[^\n\r]*)?)*$/.test(gap)) out += gap.replace(/\n[ \t]*/g, () => pick(['\n', '\n', '\n\n', '\n    ', '\n\t']));
    else out += gap;
    out += text.slice(t.span.start, t.span.end);
    pos = t.span.end;
  }
  return out + text.slice(pos);
}

function checkProperties(text: string, label: string): void {
  const once = formatText(text);
  assert.equal(formatText(once), once, `not idempotent (${label}):\n${text}`);
  assert.deepEqual(tokenTexts(once), tokenTexts(text), `tokens changed (${label}):\n${text}`);
  assert.equal(syntaxFingerprint(once), syntaxFingerprint(text), `syntax tree changed (${label}):\n${text}`);
  const sink = new DiagnosticSink();
  parse(text, sink);
  if (sink.items.length === 0 && once !== '') {
    assert.ok(once.endsWith('\n') && !once.endsWith('\n\n'), `one final newline (${label})`);
    assert.ok(!/[ \t]$/m.test(once), `no trailing whitespace (${label})`);
    assert.ok(!/\n\n\n/.test(once), `at most one blank line (${label})`);
  }
}

test('properties on every example, fixture and fuzz regression, as written and respaced', () => {
  let seed = 1;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  for (const f of corpus) {
    const text = readFileSync(f, 'utf8');
    checkProperties(text, f);
    for (let k = 0; k < 3; k++) {
      const messy = respace(text, rnd);
      assert.deepEqual(tokenTexts(messy), tokenTexts(text), 'respace keeps tokens');
      checkProperties(messy, `${f} respaced`);
      if (tokenTexts(text).length && syntaxFingerprint(messy) === syntaxFingerprint(text)) {
        // Whatever the layout, the canonical form has the same meaning as the original.
        assert.ok(sameMeaning(formatText(messy), text), f);
      }
    }
  }
});

test('properties on 600 fuzz inputs: random programs, mutated examples, well-typed programs (each also respaced)', () => {
  let count = 0;
  let formatted = 0;
  const prop = (text: string, r: number) => {
    let s = r;
    const rnd = () => ((s = (s * 48271) % 2147483647) - 1) / 2147483646;
    checkProperties(text, 'fuzz');
    const messy = respace(text, rnd);
    checkProperties(messy, 'fuzz respaced');
    if (formatText(messy) !== messy) formatted++;
    count++;
  };
  const seedArb = fc.integer({ min: 1, max: 2147483646 });
  fc.assert(fc.property(program, seedArb, prop), { numRuns: 250, seed: 11 });
  fc.assert(fc.property(mutation(exampleTexts()), seedArb, prop), { numRuns: 250, seed: 12 });
  fc.assert(fc.property(wellTyped, seedArb, prop), { numRuns: 100, seed: 13 });
  assert.equal(count, 600);
  assert.ok(formatted > 300, `the respaced inputs should mostly need formatting (${formatted})`);
});

test('on type: a `}` alone on its line takes the indentation of the line that opened its block', () => {
  const typed = 'gate g(x: [N]) -> out: [N] {\n  out = x\n  backward {\n    dx = dout\n    }';
  assert.deepEqual(formatOnType(typed, typed.length, '}'), [{ range: { start: { line: 4, character: 0 }, end: { line: 4, character: 4 } }, newText: '  ' }]);
  const outer = 'gate g(x: [N]) -> out: [N] {\n  out = x\n  }';
  assert.deepEqual(formatOnType(outer, outer.length, '}'), [{ range: { start: { line: 2, character: 0 }, end: { line: 2, character: 2 } }, newText: '' }]);
  // Already right, after other text, inside a comment's braces, or another character: nothing.
  assert.deepEqual(formatOnType('a {\n}', 5, '}'), []);
  assert.deepEqual(formatOnType('a {\n  x = {}', 11, '}'), []);
  assert.deepEqual(formatOnType('a { # {\n  }', 11, '}'), [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 2 } }, newText: '' }]);
  assert.deepEqual(formatOnType('  x', 3, 'x'), []);
});
