// Re-seed / Set Dimension Sizes shown where they act: the notes on the file's `seed` and `dims`
// lines and the CLI command that reproduces what the editor shows.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseArgs } from '../../src/cli/args';
import { cliCommand, declaredSettings, isOverridden, overrideNotes } from '../../src/shared/present/overrides';

const twoLayer = readFileSync(join(__dirname, '..', '..', 'examples', 'two-layer-net.grad'), 'utf8');

test("the file's own seed and dims lines are found (comments aside)", () => {
  const d = declaredSettings(twoLayer);
  assert.equal(twoLayer.split('\n')[d.seedLine ?? -1], 'seed 0');
  assert.equal(d.seed, 0);
  assert.match(twoLayer.split('\n')[d.dimsLine ?? -1], /^dims N = 4/);
  assert.deepEqual(d.dims, { N: 4, D: 10, H: 5, C: 3 });
  assert.deepEqual(declaredSettings('# seed 3\ninput x = 1\n'), { seedLine: null, seed: null, dimsLine: null, dims: {} });
});

test('a note on the seed line and one on the dims line, naming only what differs from the file', () => {
  const seedLine = declaredSettings(twoLayer).seedLine;
  const notes = overrideNotes(twoLayer, { seed: 7, dims: { N: 12, D: 10, H: 5, C: 3 } });
  assert.deepEqual(notes, [
    { line: seedLine, text: 'overridden: seed = 7 — reset' },
    { line: (seedLine ?? 0) + 1, text: 'overridden: N = 12 — reset' },
  ]);
  // The same values as the file's: nothing to say.
  assert.deepEqual(overrideNotes(twoLayer, { seed: 0, dims: { N: 4 } }), []);
  // A file without seed and dims lines: on its first line.
  assert.deepEqual(overrideNotes('input x = 1\n', { seed: 3, dims: null }), [{ line: 0, text: 'overridden: seed = 3 — reset' }]);
  assert.equal(isOverridden({ seed: null, dims: null }), false);
  assert.equal(isOverridden({ seed: null, dims: {} }), false);
  assert.equal(isOverridden({ seed: 1, dims: null }), true);
});

test('the CLI command gives the same seed and dims (parsed back by the CLI)', () => {
  const cmd = cliCommand('two-layer-net.grad', { seed: 7, dims: { N: 12 } });
  assert.equal(cmd, 'gradlens check two-layer-net.grad --seed 7 --dim N=12');
  const parsed = parseArgs(cmd.split(' ').slice(1)) as { seed?: number; dims?: Record<string, number>; file?: string };
  assert.equal(parsed.seed, 7);
  assert.deepEqual(parsed.dims, { N: 12 });
  assert.equal(parsed.file, 'two-layer-net.grad');
  assert.equal(cliCommand('my net.grad', { seed: null, dims: null }), "gradlens check 'my net.grad'");
});
