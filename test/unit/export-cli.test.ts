// `gradlens export --torch|--numpy FILE.grad [-o OUT.py]`: where it writes, what it prints, and its
// exit status (0 written, 1 the file has errors, 2 bad usage, unreadable input, unwritable output).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseArgs, USAGE, type ExportArgs } from '../../src/cli/args';
import { runExport } from '../../src/cli/export';
import { main } from '../../src/cli/main';
import { pythonSkip } from './helpers/exportRun';
import { PYTHON } from './helpers/torch';

const root = join(__dirname, '..', '..');
const examples = join(root, 'examples');

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'gradlens-export-cli-'));
}

/** Runs `gradlens export …` in-process with `cwd` as the current directory. */
function exportIn(cwd: string, ...argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const io = { out: (s: string) => (out += s), err: (s: string) => (err += s) };
  const args = parseArgs(['export', ...argv]);
  if (args.command !== 'export') return { code: main(['export', ...argv], io), out, err };
  const code = runExport(args, readFileSync(args.file, 'utf8'), io, cwd);
  return { code, out, err };
}

test('argument parsing: --torch / --numpy, -o, --output=, --seed, --dim', () => {
  assert.deepEqual(parseArgs(['export', '--torch', 'a.grad']), { command: 'export', target: 'torch', file: 'a.grad', dims: {} });
  assert.deepEqual(parseArgs(['export', 'a.grad', '--numpy', '-o', 'x.py', '--seed', '3', '--dim', 'N=8', '--dim=D=2']), {
    command: 'export',
    target: 'numpy',
    file: 'a.grad',
    out: 'x.py',
    seed: 3,
    dims: { N: 8, D: 2 },
  });
  assert.equal((parseArgs(['export', '--torch', '--output=o.py', 'a.grad']) as ExportArgs).out, 'o.py');
  for (const [argv, message] of [
    [['export', 'a.grad'], /needs --torch or --numpy/],
    [['export', '--torch', '--numpy', 'a.grad'], /one of --torch and --numpy/],
    [['export', '--torch'], /missing FILE\.grad/],
    [['export', '--torch', 'a.grad', 'b.grad'], /one file/],
    [['export', '--torch', 'a.grad', '--json'], /unknown option `--json` for export/],
    [['export', '--torch', 'a.grad', '-o'], /-o needs a path/],
    [['export', '--torch', 'a.grad', '--dim', 'N'], /--dim expects NAME=SIZE/],
  ] as [string[], RegExp][]) {
    const a = parseArgs(argv);
    assert.equal(a.command, 'error', argv.join(' '));
    if (a.command === 'error') assert.match(a.message, message);
  }
  assert.match(USAGE, /gradlens export --torch FILE\.grad \[-o OUT\.py\]/);
  assert.match(USAGE, /gradlens export --numpy FILE\.grad \[-o OUT\.py\]/);
});

test('by default the script goes into the current directory as <name>_torch.py, and its path is printed', () => {
  const cwd = tmp();
  const r = exportIn(cwd, '--torch', join(examples, 'two-layer-net.grad'));
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'two-layer-net_torch.py\n');
  assert.equal(r.err, '');
  assert.deepEqual(readdirSync(cwd), ['two-layer-net_torch.py']);
  assert.match(readFileSync(join(cwd, 'two-layer-net_torch.py'), 'utf8'), /^loss = F\.cross_entropy\(scores, y\) \+ reg \* \(\(W1 \*\* 2\)\.sum\(\) \+ \(W2 \*\* 2\)\.sum\(\)\)$/m);
  const n = exportIn(cwd, '--numpy', join(examples, 'convnet.grad'));
  assert.equal(n.code, 0, n.err);
  assert.equal(n.out, 'convnet_numpy.py\nconvnet_numpy.npz\n', 'the .npz of the larger tensors is written beside it');
});

test('-o writes exactly there (the .npz beside it); -o DIR/ puts the default name in DIR', () => {
  const cwd = tmp();
  const r = exportIn(cwd, '--torch', join(examples, 'convnet.grad'), '-o', 'out/net.py');
  assert.equal(r.code, 2, 'the directory does not exist');
  assert.match(r.err, /^gradlens: cannot write out\/net\.py: no such directory\n$/);
  mkdirSync(join(cwd, 'out'));
  const ok = exportIn(cwd, '--torch', join(examples, 'convnet.grad'), '-o', 'out/net.py');
  assert.equal(ok.code, 0, ok.err);
  assert.equal(ok.out, 'out/net.py\nout/net.npz\n');
  assert.match(readFileSync(join(cwd, 'out', 'net.py'), 'utf8'), /with_name\("net\.npz"\)/);
  const dir = exportIn(cwd, '--numpy', join(examples, 'circuit.grad'), '-o', 'out');
  assert.equal(dir.code, 0, dir.err);
  assert.equal(dir.out, 'out/circuit_numpy.py\n');
  const abs = join(tmp(), 'abs.py');
  const a = exportIn(cwd, '--numpy', join(examples, 'circuit.grad'), '-o', abs);
  assert.equal(a.out, `${abs}\n`, 'a path outside the current directory prints in full');
  assert.deepEqual(readdirSync(cwd), ['out'], 'nothing else was written');
});

test('a file with errors exits 1, says why, and writes nothing', () => {
  const cwd = tmp();
  const r = exportIn(cwd, '--torch', join(examples, 'broken', 'missing-transpose.grad'));
  assert.equal(r.code, 1);
  assert.equal(r.out, '');
  assert.match(r.err, /^gradlens: .*missing-transpose\.grad has 1 error; fix it before exporting/);
  assert.match(r.err, /missing-transpose\.grad:17:10: `dW` must have the shape of `W` \[D, M\].*\[backward-shape\]/);
  assert.deepEqual(readdirSync(cwd), []);
  const gated = 'dims N = 4\ninput x: [N]\ngate g(x: [N]) -> out: [N] {\n  out = dropout(x, p=0.5)\n}\nloss = sum(g(x))\n';
  const f = join(cwd, 'drop.grad');
  writeFileSync(f, gated);
  const u = exportIn(cwd, '--numpy', f);
  assert.equal(u.code, 1);
  assert.match(u.err, /cannot export .*drop\.grad: gate `g`: `dropout` cannot be exported here/);
});

test('exit 2 for bad usage and unreadable input', () => {
  const io = { out: () => undefined, err: () => undefined };
  assert.equal(main(['export', '--torch', '/nonexistent/net.grad'], io), 2);
  assert.equal(main(['export', '--torch', tmpdir()], io), 2);
  assert.equal(main(['export', join(examples, 'circuit.grad')], io), 2);
});

test('the built CLI exports into the directory it runs in, and the script runs', { skip: pythonSkip('numpy') }, () => {
  const cwd = tmp();
  const r = spawnSync(process.execPath, [join(root, 'bin', 'gradlens.js'), 'export', '--numpy', join(examples, 'affine-gate.grad')], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'affine-gate_numpy.py\n');
  assert.ok(existsSync(join(cwd, 'affine-gate_numpy.py')));
  const py = spawnSync(PYTHON, ['affine-gate_numpy.py'], { cwd, encoding: 'utf8' });
  assert.equal(py.status, 0, py.stdout + py.stderr);
  assert.match(py.stdout, /^affine\.dW +[\d.e-]+ +pass$/m);
});

test('export never writes over the .grad file, and over an existing file only with --force', () => {
  const cwd = tmp();
  const src = join(cwd, 'net.grad');
  const text = readFileSync(join(examples, 'convnet.grad'), 'utf8');
  writeFileSync(src, text);
  // Issue 15, finding 7: `export --torch net.grad -o net.grad` replaced the source with Python.
  for (const args of [['-o', 'net.grad'], ['-o', 'net.grad', '--force'], ['-o', './net.grad']]) {
    const r = exportIn(cwd, '--torch', src, ...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.err, 'gradlens: refusing to write net.grad: it is the file being exported; choose another -o\n');
    assert.equal(readFileSync(src, 'utf8'), text, 'the source is untouched');
  }
  const first = exportIn(cwd, '--numpy', src);
  assert.equal(first.code, 0, first.err);
  assert.equal(first.out, 'net_numpy.py\nnet_numpy.npz\n');
  writeFileSync(join(cwd, 'net_numpy.npz'), 'mine');
  const again = exportIn(cwd, '--numpy', src);
  assert.equal(again.code, 2);
  assert.equal(again.err, 'gradlens: refusing to overwrite net_numpy.py and net_numpy.npz; pass --force to replace them, or choose another -o\n');
  assert.equal(readFileSync(join(cwd, 'net_numpy.npz'), 'utf8'), 'mine', 'nothing was written');
  const forced = exportIn(cwd, '--numpy', src, '--force');
  assert.equal(forced.code, 0, forced.err);
  assert.notEqual(readFileSync(join(cwd, 'net_numpy.npz'), 'utf8'), 'mine');
  assert.match(USAGE, /--force/);
});
