// The quick fuzz (the long one is `npm run fuzz`): random programs and mutated examples never
// make the core throw, report an internal error, overrun the time bound, or answer differently
// twice. Every input that once failed is kept in test/fuzz/regressions and re-run here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { exampleTexts, mutation, program, wellTyped } from '../fuzz/generators';
import { fuzzGrown, fuzzOne } from '../fuzz/harness';

const property = (text: string) => {
  const r = fuzzOne(text);
  if (r.problem) throw new Error(`${r.problem}\n--- input ---\n${text}`);
};

test('fuzz: random grammar-aware programs', () => {
  fc.assert(fc.property(program, property), { numRuns: 250, seed: 20261123 });
});

test('fuzz: mutated examples', () => {
  fc.assert(fc.property(mutation(exampleTexts()), property), { numRuns: 250, seed: 42 });
});

test('fuzz: well-typed programs reach the backward pass and the checks', () => {
  fc.assert(fc.property(wellTyped, property), { numRuns: 150, seed: 7 });
});

test('fuzz regressions: every input that once failed passes now', () => {
  const dir = join(__dirname, '..', 'fuzz', 'regressions');
  const files = readdirSync(dir).filter((f) => f.endsWith('.grad'));
  for (const f of files) {
    // Inputs grown towards the limits run with their own options and time bound.
    const text = readFileSync(join(dir, f), 'utf8');
    const r = f.startsWith('grown-') ? fuzzGrown(text) : fuzzOne(text);
    assert.equal(r.problem, null, f);
  }
});
