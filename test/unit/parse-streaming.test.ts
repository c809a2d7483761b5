// parse(text) reads tokens as the lexer makes them; parseTokens(lex(text)) lexes the whole text
// first. Both must give the same syntax tree and the same diagnostics in the same order — the
// lexer's for the whole text, then the parser's — also through a sink with a limit (what is kept
// and what is dropped), and past the statement cap, where the parser stops early.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DiagnosticSink } from '../../src/core/diagnostics';
import { CORE_DEFAULTS } from '../../src/core/defaults';
import { lex } from '../../src/core/lang/lexer';
import { parse, parseTokens } from '../../src/core/lang/parser';
import { exampleTexts, mutation, program } from '../fuzz/generators';

function sameAsLexFirst(text: string, limit = Infinity): void {
  const streamed = new DiagnosticSink(limit);
  const whole = new DiagnosticSink(limit);
  const a = parse(text, streamed);
  const b = parseTokens(lex(text, whole), whole);
  assert.deepEqual(a, b, `syntax trees differ for\n${text}`);
  assert.deepEqual(streamed.items, whole.items, `diagnostics differ for\n${text}`);
  assert.equal(streamed.dropped, whole.dropped);
}

test('streamed parse equals lex-then-parse on random programs and mutated examples', () => {
  fc.assert(fc.property(program, (t) => sameAsLexFirst(t)), { numRuns: 200, seed: 11 });
  fc.assert(fc.property(mutation(exampleTexts()), (t) => sameAsLexFirst(t)), { numRuns: 200, seed: 12 });
});

test('streamed parse keeps the lexer-first order through a sink with a limit', () => {
  // A lexer error after a syntax error: lex-first reports it first, and a limit of 1 keeps only it.
  const text = 'a = (1 +\nb = 2 ×\n';
  sameAsLexFirst(text, 1);
  const sink = new DiagnosticSink(1);
  parse(text, sink);
  assert.equal(sink.items[0].code, 'invalid-character');
  assert.equal(sink.dropped, 1);
  fc.assert(fc.property(mutation(exampleTexts()), fc.integer({ min: 0, max: 4 }), (t, limit) => sameAsLexFirst(t, limit)), { numRuns: 100, seed: 13 });
});

test('past the statement cap, the text after it is still lexed for its diagnostics', () => {
  const lines = Array.from({ length: CORE_DEFAULTS.maxStatements + 5 }, (_, i) => `x${i} = ${i}`);
  lines.push('y = 1e', "z' = 2 $");
  const text = lines.join('\n');
  sameAsLexFirst(text);
  const sink = new DiagnosticSink();
  parse(text, sink);
  assert.deepEqual(
    sink.items.map((d) => d.code),
    ['invalid-number', 'invalid-name', 'invalid-character', 'too-large'],
  );
});
