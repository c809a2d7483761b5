import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseArgs, USAGE, type CheckArgs } from '../../src/cli/args';
import { terminalSafe } from '../../src/cli/format';
import { main, readBounded } from '../../src/cli/main';
import { CORE_DEFAULTS, NUMBER_SETTINGS } from '../../src/core/defaults';
import { analyze } from '../../src/core';

const root = join(__dirname, '..', '..');
const examples = join(root, 'examples');

function cli(...argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

function tmpFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gradlens-cli-'));
  const f = join(dir, 'net.grad');
  writeFileSync(f, text);
  return f;
}

test('every example checks with exit status 0', () => {
  for (const f of readdirSync(examples).filter((x) => x.endsWith('.grad'))) {
    const r = cli('check', join(examples, f));
    assert.equal(r.code, 0, `${f}:\n${r.out}${r.err}`);
  }
});

test('exit status 1 on an error diagnostic, with file:line:col: severity: message', () => {
  const f = tmpFile('dims N = 4, D = 10, H = 5\ninput X: [N, D]\nparam W: [H, D]\nloss = sum(X @ W)\n');
  const r = cli('check', f);
  assert.equal(r.code, 1);
  assert.ok(r.out.includes(`${f}:4:12: error: @ cannot multiply [N, D] by [H, D]: inner dimensions D and H differ (N=4, D=10, H=5) [matmul-shape]`), r.out);
  assert.match(r.out, /1 error, 0 warnings/);
});

test('warnings alone exit 0', () => {
  const f = tmpFile('input x = 1\nparam w = 2\nparam v = 3\nloss = w * x\n');
  const r = cli('check', f);
  assert.equal(r.code, 0);
  assert.match(r.out, /warning: `v` does not affect `loss`/);
});

test('a failed expect exits 1', () => {
  const f = tmpFile('input x = 2\ny = x * x\nexpect grad x == 5\n');
  assert.equal(cli('check', f).code, 1);
});

test('exit status 2 with one clear line for a missing file, a directory, bad usage', () => {
  const missing = cli('check', '/nonexistent/net.grad');
  assert.equal(missing.code, 2);
  assert.equal(missing.err, 'gradlens: cannot read /nonexistent/net.grad: no such file\n');
  assert.equal(missing.out, '');
  const dir = cli('check', tmpdir());
  assert.equal(dir.code, 2);
  assert.match(dir.err, /is a directory/);
  assert.equal(cli('frobnicate').code, 2);
  assert.equal(cli('check').code, 2);
  assert.equal(cli('check', 'a.grad', '--seed', 'x').code, 2);
  assert.equal(cli('check', 'a.grad', '--dim', 'N').code, 2);
  assert.equal(cli('check', 'a.grad', '--bogus').code, 2);
  assert.equal(cli('--help').code, 0);
});

test('argument parsing: --seed, repeated --dim, --h, --samples, --json', () => {
  const a = parseArgs(['check', 'f.grad', '--json', '--seed', '3', '--dim', 'N=8', '--dim=D=2', '--h', '1e-6', '--samples', '20']);
  assert.deepEqual(a, { command: 'check', file: 'f.grad', json: true, seed: 3, dims: { N: 8, D: 2 }, h: 1e-6, samples: 20 });
});

test('--check-flops sets the gradient-check budget: a small one names what it skipped', () => {
  assert.deepEqual(parseArgs(['check', 'f.grad', '--check-flops', '1e10']), { command: 'check', file: 'f.grad', json: false, dims: {}, checkFlops: 1e10 });
  // Above the maximum of gradlens.gradientCheck.maxFlops: lowered to it, with a warning.
  assert.deepEqual(parseArgs(['check', 'f.grad', '--check-flops', 'Infinity']), {
    command: 'check',
    file: 'f.grad',
    json: false,
    dims: {},
    checkFlops: NUMBER_SETTINGS['gradientCheck.maxFlops'].maximum,
    warnings: ['--check-flops Infinity is above its maximum; using 1,000,000,000,000'],
  });
  assert.equal(parseArgs(['check', 'f.grad', '--check-flops', '0']).command, 'error');
  assert.equal(parseArgs(['check', 'f.grad', '--check-flops', 'lots']).command, 'error');
  const file = join(examples, 'two-layer-net.grad');
  const tight = cli('check', file, '--check-flops', '1');
  assert.equal(tight.code, 0, 'a note, not an error');
  assert.match(tight.out, /info: not checked against the root: `X`, `W1`, `b1`, `W2`, `b2` — even one entry each would exceed the gradient-check budget of 1\.0e\+0 operations per analysis\. To check every tensor, raise the budget to at least [\d.]+e\+\d+ .*\[gradcheck-skipped\]/);
  assert.doesNotMatch(cli('check', file).out, /gradcheck-skipped/);
});

test('numeric flags have the ranges of their settings: below the minimum an error, above the maximum clamped with one line', () => {
  const ranges = { '--samples': 'gradientCheck.samples', '--max-elements': 'maxElements', '--check-flops': 'gradientCheck.maxFlops', '--h': 'gradientCheck.h' } as const;
  for (const [flag, key] of Object.entries(ranges)) {
    const s = NUMBER_SETTINGS[key];
    const high = parseArgs(['check', 'f.grad', flag, String(s.maximum * 10)]);
    assert.equal(high.command, 'check', flag);
    assert.equal((high as CheckArgs).warnings?.length, 1, flag);
    const field = { '--samples': 'samples', '--max-elements': 'maxElements', '--check-flops': 'checkFlops', '--h': 'h' }[flag] as 'samples' | 'maxElements' | 'checkFlops' | 'h';
    assert.equal((high as CheckArgs)[field], s.maximum, flag);
    assert.equal(parseArgs(['check', 'f.grad', flag, String(s.maximum)]).command, 'check', flag);
    for (const bad of [String(s.minimum / 10 - 1), 'NaN', 'x', '']) assert.equal(parseArgs(['check', 'f.grad', flag, bad]).command, 'error', `${flag} ${bad}`);
  }
  assert.deepEqual(parseArgs(['check', 'f.grad', '--samples', '2.5']), { command: 'error', message: '--samples expects a whole number from 1 to 10,000, got `2.5`' });
  assert.equal(parseArgs(['check', 'f.grad', '--seed', '-1']).command, 'error');
  assert.equal((parseArgs(['export', '--torch', 'f.grad', '--seed', '1e300']) as { seed: number }).seed, Number.MAX_SAFE_INTEGER);
  const r = cli('check', join(examples, 'circuit.grad'), '--samples', '1e9', '--json');
  assert.equal(r.code, 0);
  assert.equal(r.err, 'gradlens: --samples 1e9 is above its maximum; using 10,000\n');
  assert.doesNotThrow(() => JSON.parse(r.out), 'stdout stays one JSON object');
});

test('--json matches spec section 8 field for field', () => {
  const r = cli('check', join(examples, 'two-layer-net.grad'), '--json', '--dim', 'N=6', '--seed', '9');
  assert.equal(r.code, 0);
  const j = JSON.parse(r.out);
  assert.deepEqual(Object.keys(j), ['version', 'file', 'dims', 'root', 'diagnostics', 'nodes', 'gradchecks']);
  assert.equal(j.version, 1);
  assert.equal(j.file, join(examples, 'two-layer-net.grad'));
  assert.deepEqual(j.dims, { N: 6, D: 10, H: 5, C: 3 });
  assert.equal(j.root, 'loss');
  assert.ok(Array.isArray(j.diagnostics) && Array.isArray(j.gradchecks));
  for (const n of j.nodes) {
    assert.deepEqual(Object.keys(n), ['name', 'kind', 'shape', 'value', 'grad']);
    assert.ok(['input', 'param', 'const', 'node'].includes(n.kind));
    assert.equal(n.value.length, n.shape.reduce((a: number, b: number) => a * b, 1));
  }
  const W1 = j.nodes.find((n: { name: string }) => n.name === 'W1');
  assert.deepEqual(W1.shape, [10, 5]);
  assert.equal(W1.grad.length, 50);
  assert.equal(j.nodes.find((n: { name: string }) => n.name === 'y').grad, null);
  assert.equal(j.nodes.find((n: { name: string }) => n.name === 'reg').grad, null);
  // the seed override changes the values
  const other = JSON.parse(cli('check', join(examples, 'two-layer-net.grad'), '--json').out);
  assert.notDeepEqual(other.nodes.find((n: { name: string }) => n.name === 'W1').value, W1.value);
});

test('--json diagnostics carry severity, code, message and a 0-based range', () => {
  const f = tmpFile('input x: [3]\ny = x * 2\n');
  const r = cli('check', f, '--json');
  assert.equal(r.code, 1);
  const j = JSON.parse(r.out);
  assert.deepEqual(j.diagnostics, [
    {
      severity: 'error',
      code: 'root-not-scalar',
      message: 'backward root must be a scalar: `y` is [3]; reduce it, e.g. `sum(...)`, or end with a loss',
      range: { start: { line: 1, character: 0 }, end: { line: 1, character: 1 } },
    },
  ]);
  assert.equal(j.root, null);
});

test('NaN and Inf become null in JSON', () => {
  const f = tmpFile('input x = 1000\ny = exp(x)\n');
  const j = JSON.parse(cli('check', f, '--json').out);
  assert.equal(j.nodes.find((n: { name: string }) => n.name === 'y').value[0], null);
});

test('the installed bin runs the built CLI', () => {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'gradlens.js'), 'check', join(examples, 'circuit.grad')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^f\s+node\s+scalar\s+-12\s+1$/m);
});

test('dap takes no arguments (the program comes in the launch request) and is in the usage', async () => {
  assert.deepEqual(parseArgs(['dap']), { command: 'dap' });
  const extra = parseArgs(['dap', 'f.grad']);
  assert.equal(extra.command, 'error');
  assert.match((extra as { message: string }).message, /launch request/);
  const { USAGE } = await import('../../src/cli/args');
  assert.match(USAGE, /gradlens dap/);
});

test('--timeout: past it the analysis stops between steps and the CLI exits 2 with one line; the default is 60 s', () => {
  assert.equal((parseArgs(['check', 'f.grad']) as CheckArgs).timeout, undefined);
  assert.match(USAGE, /--timeout SECONDS[\s\S]*default 60;/);
  assert.equal((parseArgs(['check', 'f.grad', '--timeout', '2.5']) as CheckArgs).timeout, 2.5);
  for (const bad of ['0', '-1', 'x', '']) assert.equal(parseArgs(['check', 'f.grad', '--timeout', bad]).command, 'error', bad);
  // About 3e9 operations (seconds of work on any machine): stopped after 1 s.
  const f = tmpFile('dims N = 1000\ninput X: [N, N] ~ randn\nloss = sum(X @ X @ X @ X @ X @ X @ X @ X)\n');
  const r = cli('check', f, '--timeout', '1');
  assert.equal(r.code, 2, r.out + r.err);
  assert.equal(r.out, '');
  assert.equal(r.err, `gradlens: ${f}: stopped after 1 s (--timeout); lower the dimension sizes, or raise --timeout\n`);
});

test('text from the file reaches the terminal escaped: ESC, NUL, carriage returns, bidi overrides', () => {
  const f = tmpFile('input x = 1\ny = x \u001b[31m\u0000 \u202e 2\r\n');
  const r = cli('check', f);
  assert.equal(r.code, 1);
  // eslint-disable-next-line no-control-regex -- none may reach the terminal
  assert.doesNotMatch(r.out, /[\u0000-\u0008\u000b-\u001f\u007f\u202e]/, JSON.stringify(r.out));
  assert.match(r.out, /\\x1b/);
  assert.equal(terminalSafe('a\u001bb\u0000c\u202ed\u2066e\tf\ng ‖·‖'), 'a\\x1bb\\x00c\\u202ed\\u2066e\tf\ng ‖·‖');
  // The file's name too (it is printed in every diagnostic line and in errors).
  const missing = cli('check', '/nonexistent/n\u001b]0;x\u0007.grad');
  assert.equal(missing.err, 'gradlens: cannot read /nonexistent/n\\x1b]0;x\\x07.grad: no such file\n');
});

test('--dim sizes: -3, 2.5, 0, too large or not a number get one clear usage line (exit 2), never an internal error', () => {
  const f = tmpFile('dims N = 4\ninput x: [N]\nloss = sum(x * x)\n');
  for (const [v, why] of [
    ['-3', 'not positive'],
    ['2.5', 'not a whole number'],
    ['0', 'not positive'],
    ['1e12', 'too large'],
    ['x', 'not a number'],
    ['', 'not a number'],
  ]) {
    const r = cli('check', f, '--dim', `N=${v}`);
    assert.equal(r.code, 2, v);
    assert.equal(r.err, `gradlens: --dim N: a dimension size is a whole number from 1 to 1073741824, found \`${v}\` (${why})\nRun \`gradlens --help\` for usage.\n`);
    assert.equal(parseArgs(['export', '--numpy', f, `--dim=N=${v}`]).command, 'error', v);
  }
  assert.deepEqual((parseArgs(['check', f, '--dim', 'N=1e3']) as CheckArgs).dims, { N: 1000 });
});

test('the core checks sizes given from outside the file too: a clear bad-dim-value error, the file\'s size kept', () => {
  for (const size of [-3, 2.5, 0, Number.NaN, 2 ** 40]) {
    const a = analyze('dims N = 4\ninput x: [N]\nloss = sum(x * x)\n', { dims: { N: size } });
    assert.ok(!a.diagnostics.some((d) => d.code === 'internal-error'), String(size));
    const d = a.diagnostics.find((x) => x.code === 'bad-dim-value');
    assert.ok(d, `${size}: ${JSON.stringify(a.diagnostics)}`);
    assert.match(d.message, /from outside the file .* must be a positive integer up to 1073741824, found .*; the file's N = 4 is used/);
    assert.equal(a.dims.N, 4);
  }
});

test('a file far past the character cap is read no further than the lexer reads: a too-large error, not a gigabyte string', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradlens-cap-'));
  try {
    const file = join(dir, 'long.grad');
    // A sparse file of 1 GiB (nothing on disk) after two statements: readFileSync would make a
    // 1 GiB string (past V8's string limit); the bounded read stops at the cap.
    writeFileSync(file, 'input x = 2\nloss = x * x\n# ');
    truncateSync(file, 2 ** 30);
    const text = readBounded(file);
    assert.ok(text.length > CORE_DEFAULTS.maxChars && text.length <= 3 * CORE_DEFAULTS.maxChars + 4, `${text.length}`);
    assert.ok(text.startsWith('input x = 2\n'));
    const r = cli('check', file);
    assert.equal(r.code, 1);
    assert.match(r.out, /more than 16,777,216 characters/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
