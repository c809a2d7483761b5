// The generated documentation is up to date with the op table and the diagnostic codes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { REFERENCE, renderReference, renderTroubleshooting, TROUBLESHOOTING, usage } from '../../scripts/docs';
import { DIAGNOSTIC_CODES } from '../../src/core/diagnosticCodes';
import { ALL_OPS } from '../../src/core/ops/registry';

test('docs/language-reference.md lists every op of the op table (run `npm run docs` if this fails)', () => {
  const text = readFileSync(REFERENCE, 'utf8');
  assert.equal(text, renderReference(text), 'the generated operation tables are stale');
  for (const op of ALL_OPS) assert.ok(text.includes(`\`${usage(op).replace(/\|/g, '\\|')}\``), `missing ${op.id}`);
});

test('docs/troubleshooting.md lists every diagnostic code (run `npm run docs` if this fails)', () => {
  const text = readFileSync(TROUBLESHOOTING, 'utf8');
  assert.equal(text, renderTroubleshooting(), 'docs/troubleshooting.md is stale');
  for (const code of Object.keys(DIAGNOSTIC_CODES)) assert.ok(text.includes(`## ${code}\n`), `missing ${code}`);
});

test('syntaxes/grad.tmLanguage.json is generated from the op table (run `npm run docs` if this fails)', async () => {
  const { GRAMMAR } = await import('../../scripts/docs');
  const { grammarText } = await import('../../scripts/grammar');
  assert.equal(readFileSync(GRAMMAR, 'utf8'), grammarText());
  for (const op of ALL_OPS.filter((o) => /^[a-z_]+$/.test(o.name))) assert.ok(grammarText().includes(op.name), op.name);
});

test("the README's `grad` examples analyse with no error or warning and are in `gradlens fmt`'s layout", async () => {
  const { analyze, formatText } = await import('../../src/core');
  const readme = readFileSync(new URL('../../README.md', `file://${__filename}`), 'utf8');
  const blocks = [...readme.matchAll(/```grad\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length >= 2, 'the README shows the circuit and a gate');
  for (const block of blocks) {
    const found = analyze(block).diagnostics.filter((d) => d.severity === 'error' || d.severity === 'warning');
    assert.deepEqual(found.map((d) => d.message), [], block);
    assert.equal(formatText(block), block);
  }
});
