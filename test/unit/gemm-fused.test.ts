// The fused arithmetic (relaxed SIMD's multiply-add, where the runtime fuses it: VS Code's host,
// the CLI and the language server on Node 20 through enableRelaxedSimd) keeps the products'
// guarantees: this runs the product suites and the batched gradient checks again in a process with
// relaxed SIMD on — every product against the exact fused reference, one thread against two,
// every example's output with split products, batched checks against one-at-a-time.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(__dirname, '..', '..');
const SUITES = ['gemm.test.ts', 'gemm-threads.test.ts', 'gradcheck-batched.test.ts'].map((f) => join('test', 'unit', f));
const FLAG = '--experimental-wasm-relaxed-simd';
/** V8 11.3 (Node 20) has relaxed SIMD behind FLAG; later ones have it on (and may not know the flag). */
const FLAG_ARGS = process.versions.v8.startsWith('11.3.') ? [FLAG] : [];
/** The environment without NODE_TEST_CONTEXT (which would make a child report to this runner) and with the default arithmetic. */
const childEnv = (extra: Record<string, string> = {}) => ({ ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT')), GRADLENS_ARITHMETIC: '', ...extra });

/** The arithmetic a process with relaxed SIMD on uses, asked of a child. */
function fusedHere(): { relaxed: string; arithmetic: string } {
  const code = `const m = require('./src/core/tensor/matmul'); console.log(JSON.stringify({ relaxed: m.relaxedMadd(), arithmetic: m.gemmArithmetic() }));`;
  const r = spawnSync(process.execPath, [...FLAG_ARGS, '--import', 'tsx', '-e', code], { cwd: ROOT, encoding: 'utf8', env: childEnv() });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim()) as { relaxed: string; arithmetic: string };
}

const here = process.execArgv.includes(FLAG) || process.env.GRADLENS_EXPECT_FUSED === '1' || process.env.GRADLENS_NO_WASM === '1' ? null : fusedHere();
const why = here === null ? 'already in the fused run, or no WebAssembly' : here.arithmetic !== 'fused' ? `relaxed_madd is ${here.relaxed} here (no FMA): the fused kernel never runs` : false;

test('the product suites and the batched checks pass with fused multiply-adds', { skip: why }, () => {
  // GRADLENS_EXPECT_FUSED: gemm.test.ts asserts that the run's products really are fused.
  const r = spawnSync(process.execPath, [...FLAG_ARGS, '--import', 'tsx', '--test', '--test-reporter=tap', ...SUITES], {
    cwd: ROOT,
    encoding: 'utf8',
    env: childEnv({ GRADLENS_EXPECT_FUSED: '1' }),
    maxBuffer: 64 * 1024 * 1024,
  });
  const summary = (name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(r.stdout)?.[1] ?? NaN);
  assert.equal(r.status, 0, `${r.stdout.split('\n').filter((l) => /^not ok|^# (pass|fail)/.test(l.trim())).join('\n')}\n${r.stderr}`);
  assert.equal(summary('fail'), 0);
  assert.ok(summary('pass') >= 40, `${summary('pass')} tests passed in the fused run`);
});
