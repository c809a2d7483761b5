// `gradlens fmt [--check] FILES...`: rewrites in place, --check lists and exits 1, syntax errors
// are reported and the file left alone, unreadable files exit 2, directories are searched.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseArgs } from '../../src/cli/args';
import { main } from '../../src/cli/main';

const root = join(__dirname, '..', '..');

function cli(...argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

function tmpDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'gradlens-fmt-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const MESSY = 'x=1\ny = x*2\n';
const CANONICAL = 'x = 1\ny = x * 2\n';

test('fmt --check passes on the examples and the fixtures', () => {
  const r = cli('fmt', '--check', join(root, 'examples'), join(root, 'test', 'fixtures'));
  assert.equal(r.code, 0, r.out + r.err);
  assert.equal(r.out, '');
});

test('fmt --check names the files that would change, exits 1 and writes nothing', () => {
  const dir = tmpDir({ 'a.grad': MESSY, 'sub/b.grad': CANONICAL, 'notes.txt': 'x=1' });
  const r = cli('fmt', '--check', dir);
  assert.equal(r.code, 1);
  assert.equal(r.out, `${join(dir, 'a.grad')}\n`);
  assert.equal(readFileSync(join(dir, 'a.grad'), 'utf8'), MESSY);
});

test('fmt rewrites changed files in place and names them; then --check passes', () => {
  const dir = tmpDir({ 'a.grad': MESSY, 'b.grad': CANONICAL });
  const r = cli('fmt', join(dir, 'a.grad'), join(dir, 'b.grad'));
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, `formatted ${join(dir, 'a.grad')}\n`);
  assert.equal(readFileSync(join(dir, 'a.grad'), 'utf8'), CANONICAL);
  assert.equal(cli('fmt', '--check', dir).code, 0);
});

test('a file with syntax errors is reported with its first error and left alone (exit 1)', () => {
  const broken = 'x=1\ny = * 2\n';
  const dir = tmpDir({ 'bad.grad': broken, 'ok.grad': MESSY });
  const r = cli('fmt', dir);
  assert.equal(r.code, 1);
  assert.match(r.err, /bad\.grad:2:5: not formatted: expected an expression, found `\*`/);
  assert.equal(readFileSync(join(dir, 'bad.grad'), 'utf8'), broken);
  assert.equal(readFileSync(join(dir, 'ok.grad'), 'utf8'), CANONICAL, 'the other files are still formatted');
});

test('an unreadable file exits 2; usage errors exit 2', () => {
  const r = cli('fmt', '--check', join(root, 'no-such-file.grad'));
  assert.equal(r.code, 2);
  assert.match(r.err, /cannot read .*no-such-file\.grad: no such file/);
  assert.deepEqual(parseArgs(['fmt']), { command: 'error', message: 'fmt needs at least one FILE.grad or directory' });
  assert.deepEqual(parseArgs(['fmt', '--write', 'a.grad']), { command: 'error', message: 'unknown option `--write` for fmt' });
  assert.deepEqual(parseArgs(['fmt', '--check', 'a.grad', 'b']), { command: 'fmt', check: true, files: ['a.grad', 'b'] });
  assert.match(cli('--help').out, /gradlens fmt \[--check\]/);
});

test('a file past the character cap is a too-large report and is left alone: read no further than the lexer, never formatted truncated', async () => {
  const { CORE_DEFAULTS } = await import('../../src/core');
  const big = `x=1\n#${'c'.repeat(CORE_DEFAULTS.maxChars)}\ny=x*2\n`;
  const dir = tmpDir({ 'big.grad': big });
  const r = cli('fmt', join(dir, 'big.grad'));
  assert.equal(r.code, 1);
  assert.match(r.err, /not formatted: .*16/);
  assert.equal(readFileSync(join(dir, 'big.grad'), 'utf8'), big, 'the file is untouched');
});

test('a hostile file name reaches the terminal escaped (no escape sequence, no reordering)', () => {
  const name = 'evil\u001b[2J\u202e.grad';
  const dir = tmpDir({ [name]: MESSY });
  const check = cli('fmt', '--check', dir);
  assert.equal(check.code, 1);
  assert.ok(!check.out.includes('\u001b') && !check.out.includes('\u202e'), JSON.stringify(check.out));
  assert.ok(check.out.includes('evil\\x1b[2J\\u202e.grad'), check.out);
  const fmt = cli('fmt', dir);
  assert.ok(!fmt.out.includes('\u001b') && fmt.out.includes('formatted '), JSON.stringify(fmt.out));
  assert.equal(readFileSync(join(dir, name), 'utf8'), CANONICAL);
});
