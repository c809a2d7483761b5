// The CLI's output (`--json` and the human table) and the whole Analysis the editor receives (as the
// server's JSON-safe response), for
// every example and fixture, byte for byte against committed SHA-256 digests (the outputs are
// megabytes; their digests are one small file). Refactors of the core must leave them unchanged;
// a deliberate change regenerates the digests with UPDATE_SNAPSHOTS=1. To read what changed, dump
// the outputs before and after (GRADLENS_DUMP_OUTPUTS=dir) and diff the two folders.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/core/analyze';
import { jsonSafeAnalysis } from '../../src/core/jsonSafe';
import { main } from '../../src/cli/main';

const root = join(__dirname, '..', '..');
const digestFile = join(__dirname, '__snapshots__', 'outputs.sha256.json');
const update = process.env.UPDATE_SNAPSHOTS === '1';
const dump = process.env.GRADLENS_DUMP_OUTPUTS;
const expected: Record<string, string> = existsSync(digestFile) ? (JSON.parse(readFileSync(digestFile, 'utf8')) as Record<string, string>) : {};
const actual: Record<string, string> = {};

function gradFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return gradFiles(p);
    return e.name.endsWith('.grad') ? [p] : [];
  });
}

const files = [...gradFiles(join(root, 'examples')), ...gradFiles(join(root, 'test', 'fixtures'))].sort();

function cli(argv: string[]): string {
  let out = '';
  const code = main(argv, { out: (s) => (out += s), err: (s) => (out += `[stderr] ${s}`) });
  // The human summary ends with the run's duration: the one part that is not a result.
  return `${out.replace(/\(\d+ ms\)/g, '(… ms)')}[exit ${code}]\n`;
}

function compare(name: string, output: string): void {
  const digest = createHash('sha256').update(output).digest('hex');
  actual[name] = digest;
  if (dump) {
    mkdirSync(dump, { recursive: true });
    writeFileSync(join(dump, name), output);
  }
  if (update || !(name in expected)) return;
  assert.equal(digest, expected[name], `${name} changed: compare GRADLENS_DUMP_OUTPUTS dumps before and after; if intended, run with UPDATE_SNAPSHOTS=1`);
}

for (const f of files) {
  const rel = relative(root, f);
  const key = rel.replace(/[/\\]/g, '__').replace(/\.grad$/, '');
  test(`outputs unchanged: ${rel}`, () => {
    compare(`${key}.cli.json`, cli(['check', '--json', rel]));
    compare(`${key}.cli.txt`, cli(['check', rel]));
    compare(`${key}.cli-seed3.json`, cli(['check', '--json', '--seed', '3', rel]));
    const { timings: _timings, ...analysis } = analyze(readFileSync(f, 'utf8'), { fileName: rel });
    // As the language server sends it (jsonSafeAnalysis: tensors' entries as plain numbers).
    compare(`${key}.analysis.json`, `${JSON.stringify(jsonSafeAnalysis(analysis), null, 1)}\n`);
  });
}

test('every output has a digest and every digest an output', () => {
  if (update || !existsSync(digestFile)) {
    mkdirSync(join(__dirname, '__snapshots__'), { recursive: true });
    writeFileSync(digestFile, `${JSON.stringify(Object.fromEntries(Object.entries(actual).sort()), null, 1)}\n`);
    return;
  }
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
});

