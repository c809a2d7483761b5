// An exported script run by a Python without torch (or NumPy) stops with one line naming the
// package and how to install it for that interpreter, not a traceback. The packages are shadowed by
// modules that fail to import, so the test does not depend on what this machine has installed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { exportScript } from '../../src/core';

const text = readFileSync(join(__dirname, '..', '..', 'examples', 'two-layer-net.grad'), 'utf8');
const python = spawnSync('python3', ['--version']).status === 0 ? 'python3' : null;

for (const [target, pkg, pip] of [
  ['torch', 'PyTorch', 'torch'],
  ['numpy', 'NumPy', 'numpy'],
] as const) {
  test(`the ${target} export says in one line that ${pkg} is missing and how to install it`, { skip: python ? false : 'no python3 on this machine' }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradlens-missing-'));
    try {
      for (const m of ['torch', 'numpy']) {
        mkdirSync(join(dir, 'shadow', m), { recursive: true });
        writeFileSync(join(dir, 'shadow', m, '__init__.py'), `raise ImportError("no ${m} here")\n`);
      }
      const r = exportScript(target, text, { fileName: 'two-layer-net.grad', scriptName: 'net.py' });
      assert.ok(r.ok, r.ok ? '' : r.error);
      for (const f of r.files) writeFileSync(join(dir, f.path.split(/[\\/]/).pop() as string), 'content' in f ? f.content : f.bytes);
      const run = spawnSync(python as string, [join(dir, 'net.py')], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: join(dir, 'shadow') } });
      assert.equal(run.status, 1, run.stdout + run.stderr);
      const lines = run.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line, no traceback: ${run.stderr}`);
      // The torch script imports NumPy first when it stores arrays beside it: the first missing package is named.
      const script = r.files.find((f) => f.path.endsWith('net.py'));
      const first = script && 'content' in script && script.content.includes('import numpy') ? { pkg: 'NumPy', pip: 'numpy' } : { pkg, pip };
      assert.match(lines[0], new RegExp(`^this script needs ${first.pkg}, which .+ cannot import; install it with: .+ -m pip install ${first.pip}$`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
