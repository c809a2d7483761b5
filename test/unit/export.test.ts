// The exporters without running Python: the template tables cannot drift from the op table,
// helpers exist, the .npy/.npz writer is byte-correct, numbers round-trip, names are made safe,
// and every failure comes back as data.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultScriptName, exportNumpy, exportScript, exportTorch, type ExportResult } from '../../src/core/export';
import { crc32, npyBytes, npzBytes } from '../../src/core/export/npz';
import { NUMPY_OPS } from '../../src/core/export/numpyOps';
import { missingTemplates } from '../../src/core/export/opKit';
import { nestedList, pyFloat } from '../../src/core/export/pyExpr';
import { PyNames, PYTHON_RESERVED } from '../../src/core/export/pyNames';
import { TORCH_OPS } from '../../src/core/export/torchOps';
import type { TargetOps } from '../../src/core/export/templates';
import { ALL_OPS } from '../../src/core/ops/registry';
import { numpyAvailable } from './helpers/exportRun';
import { PYTHON } from './helpers/torch';

const examples = join(__dirname, '..', '..', 'examples');

const TARGETS: [string, TargetOps][] = [
  ['PyTorch', TORCH_OPS],
  ['NumPy', NUMPY_OPS],
];

for (const [name, ops] of TARGETS) {
  test(`${name}: every op of the op table has a template or an explicit "not supported"`, () => {
    assert.deepEqual(missingTemplates(ops), [], `add these op ids to the ${name} template table (src/core/export)`);
    assert.ok(ALL_OPS.length > 60);
    for (const [id, t] of Object.entries(ops.templates)) {
      if (t.kind === 'unsupported') assert.ok(t.reason.length > 10, `${id}: say why it is not supported`);
    }
  });

  test(`${name}: every helper a helper needs exists, and helpers define what they are named`, () => {
    for (const [id, h] of Object.entries(ops.helpers)) {
      assert.match(h.code, new RegExp(`^def ${id}\\(`), id);
      for (const n of h.needs ?? []) assert.ok(ops.helpers[n], `${id} needs the missing helper ${n}`);
    }
  });

  test(`${name}: helper names are reserved, so a tensor named like one is renamed`, () => {
    const names = new PyNames([...PYTHON_RESERVED, ...Object.keys(ops.helpers)], new Set(['rnn', 'rnn_']));
    assert.equal(names.get('rnn'), 'rnn__');
  });
}

test('pyFloat writes every float64 so that Python reads the same number', () => {
  assert.equal(pyFloat(-2), '-2.0');
  assert.equal(pyFloat(0.1), '0.1');
  assert.equal(pyFloat(1e-7), '1e-7');
  assert.equal(pyFloat(1e21), '1e+21');
  assert.equal(pyFloat(-0), '-0.0');
  assert.equal(pyFloat(NaN), 'float("nan")');
  assert.equal(pyFloat(-Infinity), '-float("inf")');
  for (const v of [Math.PI, 1 / 3, 2 ** -1074, Number.MAX_VALUE, 123456789.12345679, -5e-324]) assert.equal(Number(pyFloat(v)), v);
});

test('nestedList writes matrices one row per line and wraps long rows', () => {
  assert.equal(nestedList([1, 2, 3, 4], [2, 2], String, ''), '[\n    [1, 2],\n    [3, 4],\n]');
  assert.equal(nestedList([7], [], String, ''), '7');
  const long = nestedList(Array.from({ length: 40 }, (_, i) => i + 0.123456789), [40], pyFloat, '');
  assert.ok(long.split('\n').every((l) => l.length <= 100), long);
});

test('PyNames renames Python keywords, builtins and the scripts\' own names, never onto a user name', () => {
  const names = new PyNames(PYTHON_RESERVED, new Set(['lambda', 'lambda_', 'sum', 'W1', 'F']));
  assert.equal(names.get('W1'), 'W1');
  assert.equal(names.get('lambda'), 'lambda__');
  assert.equal(names.get('lambda_'), 'lambda_');
  assert.equal(names.get('sum'), 'sum_');
  assert.equal(names.get('F'), 'F_');
  assert.deepEqual(names.renamed(), [
    ['lambda', 'lambda__'],
    ['sum', 'sum_'],
    ['F', 'F_'],
  ]);
});

test('crc32 and the .npy header follow the formats', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  const npy = npyBytes({ shape: [2, 3], data: [1, 2, 3, 4, 5, 6], dtype: 'float64' });
  assert.deepEqual([...npy.slice(0, 8)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const headerLength = npy[8] | (npy[9] << 8);
  assert.equal((10 + headerLength) % 64, 0, 'data starts on a 64-byte boundary');
  const header = new TextDecoder().decode(npy.slice(10, 10 + headerLength));
  assert.match(header, /^\{'descr': '<f8', 'fortran_order': False, 'shape': \(2, 3\), \} *\n$/);
  assert.equal(new DataView(npy.buffer).getFloat64(10 + headerLength + 8, true), 2);
  assert.match(new TextDecoder().decode(npyBytes({ shape: [3], data: [1, 2, 3], dtype: 'int64' }).slice(10, 80)), /'descr': '<i8'.*'shape': \(3,\)/);
});

test('numpy reads the .npz back exactly', { skip: numpyAvailable() ? false : `${PYTHON} cannot import numpy` }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradlens-npz-'));
  const entries = new Map([
    ['W1', { shape: [2, 3], data: [Math.PI, -0, 1e-300, -1.5, 2 ** 52 + 1, 0.1], dtype: 'float64' as const }],
    ['grad/W1', { shape: [], data: [42.5], dtype: 'float64' as const }],
    ['y', { shape: [4], data: [2, 0, 1, 2], dtype: 'int64' as const }],
  ]);
  writeFileSync(join(dir, 'a.npz'), npzBytes(entries));
  const r = spawnSync(
    PYTHON,
    ['-c', 'import json, sys, numpy as np; a = np.load(sys.argv[1]); print(json.dumps({k: [a[k].dtype.str, list(a[k].shape), a[k].reshape(-1).tolist()] for k in a.files}))', join(dir, 'a.npz')],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), {
    W1: ['<f8', [2, 3], [Math.PI, -0, 1e-300, -1.5, 2 ** 52 + 1, 0.1]],
    'grad/W1': ['<f8', [], [42.5]],
    y: ['<i8', [4], [2, 0, 1, 2]],
  });
});

function failure(r: ExportResult): { reason: string; error: string } {
  assert.equal(r.ok, false);
  return r.ok ? { reason: '', error: '' } : { reason: r.reason, error: r.error };
}

test('a file with errors is not exported, and the message lists the errors with their lines', () => {
  const text = 'dims N = 4, D = 10, H = 5\ninput X: [N, D]\nparam W: [H, D]\nloss = sum(X @ W)\n';
  for (const r of [exportTorch(text, { fileName: 'bad.grad' }), exportNumpy(text, { fileName: 'bad.grad' })]) {
    const f = failure(r);
    assert.equal(f.reason, 'errors');
    assert.match(f.error, /^bad\.grad has 1 error; fix it before exporting/);
    assert.match(f.error, /bad\.grad:4:12: @ cannot multiply \[N, D\] by \[H, D\].*\[matmul-shape\]/);
  }
});

test('exporters never throw: syntax errors, empty files, no root, garbage', () => {
  for (const text of ['', 'y = (x + \n', 'input x: [3]\n', 'gate g(', '\u0000\u0001 @@@', 'input x = 1\ny = x\nexpect grad x == 5\n']) {
    for (const target of ['torch', 'numpy'] as const) {
      const r = exportScript(target, text);
      assert.equal(typeof r.ok, 'boolean');
      if (!r.ok) assert.ok(r.error.length > 0);
    }
  }
  // A failed expect line only reports on the numbers: it does not stop the export.
  assert.equal(exportTorch('input x = 1\ny = x * 2\nexpect grad x == 5\n').ok, true);
});

test('dropout inside a gate is refused with the reason, at the top level it uses the engine\'s mask', () => {
  const inGate = 'dims N = 4\ninput x: [N]\ngate g(x: [N]) -> out: [N] {\n  out = dropout(x, p=0.5)\n}\nloss = sum(g(x))\n';
  for (const r of [exportTorch(inGate), exportNumpy(inGate)]) {
    const f = failure(r);
    assert.equal(f.reason, 'unsupported');
    assert.match(f.error, /gate `g`: `dropout` cannot be exported here: inside a gate its mask changes at every call/);
  }
  const top = exportTorch('seed 3\ndims N = 6\ninput x: [N]\nh = dropout(x, p=0.5)\nloss = sum(h * h)\n');
  assert.ok(top.ok);
  const script = top.ok && 'content' in top.files[0] ? top.files[0].content : '';
  assert.match(script, /^u_h = torch\.tensor\(\[\n {4}0\.\d+/m);
  assert.match(script, /^h = dropout\(x, p=0\.5, u=u_h\)$/m);
});

test('a gate that is never called is exported, with a warning that it is not checked', () => {
  const text = 'input x: [3]\ngate g(x: [N]) -> out: [N] {\n  out = x * 2\n  backward {\n    dx = dout * 2\n  }\n}\nloss = sum(x * x)\n';
  const r = exportNumpy(text);
  assert.ok(r.ok);
  assert.deepEqual(r.warnings, ['gate `g` is never called: its backward is exported but not checked']);
  assert.ok(exportTorch(text).ok);
});

test('the PyTorch script reads like the .grad file: names, comments, an autograd.Function per hand-written gate', () => {
  const r = exportTorch(readFileSync(join(examples, 'affine-gate.grad'), 'utf8'), { fileName: 'examples/affine-gate.grad' });
  assert.ok(r.ok);
  assert.equal(r.files.length, 1, 'every tensor of this example is small enough to embed');
  assert.equal(r.files[0].path, 'affine-gate_torch.py');
  const s = 'content' in r.files[0] ? r.files[0].content : '';
  assert.match(s, /^class Affine\(torch\.autograd\.Function\):$/m);
  assert.match(s, /^ {8}dX = dout @ W\.T +# \[B, M\] @ \[M, K\] = \[B, K\]$/m);
  assert.match(s, /^ {8}db = dout\.sum\(dim=0\) +# b was broadcast over the batch: sum it back$/m);
  assert.match(s, /^ {8}dx = dout \* \(x > 0\) +# relu routes the gradient where its input was positive$/m);
  assert.match(s, /^h1 = relu_layer\(affine\(X, W1, b1\)\)$/m);
  assert.match(s, /^loss = F\.cross_entropy\(scores, y\)$/m);
  assert.match(s, /^# A hand-written layer, as in a cs231n assignment/m);
  assert.match(s, /torch\.autograd\.gradcheck\(function\.apply/);
  assert.match(s, /GRADLENS_JSON/);
});

test('the NumPy script has cs231n pairs: <gate>_forward -> (out, cache), <gate>_backward(dout, cache)', () => {
  const r = exportNumpy(readFileSync(join(examples, 'affine-gate.grad'), 'utf8'), { fileName: 'affine-gate.grad' });
  assert.ok(r.ok);
  const s = 'content' in r.files[0] ? r.files[0].content : '';
  assert.match(s, /^def affine_forward\(X, W, b\):$/m);
  assert.match(s, /^ {4}return out, cache$/m);
  assert.match(s, /^def affine_backward\(dout, cache\):$/m);
  assert.match(s, /^ {4}X, W = cache$/m);
  assert.match(s, /^ {4}db = np\.sum\(dout, axis=0\) +# b was broadcast over the batch: sum it back$/m);
  assert.match(s, /^ {4}return dX, dW, db$/m);
  assert.match(s, /^def eval_numerical_gradient_array\(f, x, df, h=1e-5, entries=None\):$/m);
  assert.match(s, /check\("affine\.dW", dW, lambda v: affine_forward\(X, v, b\)\[0\], W, dout\)/);
  assert.match(s, /^ {4}h1, _ = relu_layer_forward\(affine_forward\(X, W1, b1\)\[0\]\)$/m);
  // Helpers only when used: no conv2d in this file.
  assert.doesNotMatch(s, /def conv2d/);
  assert.match(s, /^def softmax_ce\(scores, y\):$/m);
});

test('large tensors go to an .npz named after the script; -o names change both', () => {
  const text = readFileSync(join(examples, 'convnet.grad'), 'utf8');
  const r = exportTorch(text, { fileName: 'convnet.grad', scriptName: 'net.py' });
  assert.ok(r.ok);
  assert.deepEqual(
    r.files.map((f) => f.path),
    ['net.py', 'net.npz'],
  );
  const s = 'content' in r.files[0] ? r.files[0].content : '';
  assert.match(s, /^ARRAYS = np\.load\(Path\(__file__\)\.with_name\("net\.npz"\)\)/m);
  assert.match(s, /^x = torch\.from_numpy\(ARRAYS\["x"\]\)\.requires_grad_\(\)$/m);
  assert.equal(defaultScriptName('numpy', 'a/b/two-layer-net.grad'), 'two-layer-net_numpy.py');
  // Same text, same bytes: exports are reproducible.
  const again = exportTorch(text, { fileName: 'convnet.grad', scriptName: 'net.py' });
  assert.ok(again.ok);
  assert.deepEqual(again.files, r.files);
});

test('--seed and --dim overrides reach the exported values', () => {
  const text = readFileSync(join(examples, 'two-layer-net.grad'), 'utf8');
  const a = exportTorch(text, { dims: { N: 2 } });
  const b = exportTorch(text, { seed: 5, dims: { N: 2 } });
  assert.ok(a.ok && b.ok);
  const sa = 'content' in a.files[0] ? a.files[0].content : '';
  const sb = 'content' in b.files[0] ? b.files[0].content : '';
  assert.match(sa, /^N, D, H, C = 2, 10, 5, 3 {2}# dims N = 4, D = 10, H = 5, C = 3$/m);
  assert.notEqual(sa, sb);
});
