// The one number formatter (src/core/format/number.ts): its rule, and that it is the rule the
// gradient-check messages have always printed, so the CLI's --json output and the Analysis do not change.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { analyze } from '../../src/core/analyze';
import { formatNumber } from '../../src/core/format/number';
import { Prng } from '../../src/core/engine/prng';

/** analyze.ts's private fmt before it became formatNumber, verbatim. */
function messageFmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? String(Number(v.toPrecision(4))) : v.toExponential(2);
}

test('4 significant digits in [1e-3, 1e4), exponent form with 3 outside', () => {
  const cases: [number, string][] = [
    [-12, '-12'],
    [3, '3'],
    [2.7132, '2.713'],
    [0.001, '0.001'],
    [0.00099999, '1.00e-3'],
    [9999.4, '9999'],
    [9999.96, '10000'],
    [10000, '1.00e+4'],
    [123456, '1.23e+5'],
    [-0.000012345, '-1.23e-5'],
    [1e-7, '1.00e-7'],
    [1.5e300, '1.50e+300'],
    [0, '0'],
    [-0, '0'],
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
    [-Infinity, '-Infinity'],
  ];
  for (const [v, text] of cases) assert.equal(formatNumber(v), text, String(v));
  assert.equal(formatNumber(null), '—');
  assert.equal(formatNumber(undefined), '—');
});

test('fewer digits keep the switching rule', () => {
  assert.equal(formatNumber(2.7132, { digits: 3 }), '2.71');
  assert.equal(formatNumber(1.2345e-7, { digits: 3 }), '1.2e-7');
  assert.equal(formatNumber(1.2345e-7, { digits: 2 }), '1e-7');
  assert.equal(formatNumber(12345, { digits: 3 }), '1.2e+4');
  assert.equal(formatNumber(0.5, { digits: 0 }), '0.5', 'at least 2 digits');
});

test('the rule the gradient-check messages printed, on 20,000 numbers of every magnitude', () => {
  const rng = new Prng(7, 'format');
  for (let i = 0; i < 20_000; i++) {
    const v = (rng.uniform() - 0.5) * 10 ** Math.floor(rng.uniform() * 40 - 20);
    assert.equal(formatNumber(v), messageFmt(v), String(v));
  }
});

test('a NaN message quotes its input range with the same rule', () => {
  const a = analyze('input x = 100000\ny = exp(x)\n');
  const d = a.diagnostics.find((x) => x.code === 'non-finite');
  assert.ok(d, JSON.stringify(a.diagnostics));
  assert.match(d.message, /x = 1\.00e\+5/);
});

test('computed numbers are printed through formatNumber: every other toExponential/toPrecision/toFixed is a known non-value', () => {
  // Durations, percentages, CSS lengths, Python literals and the user's own settings are not
  // values of a tensor; anything else printing a number goes through formatNumber.
  const allowed = new Map<string, RegExp>([
    ['src/cli/format.ts', /timings\.totalMs\.toFixed\(0\)/],
    ['src/core/engine/lower.ts', /toExponential\(3\)|toPrecision\(6\)/], // a constant's label, as typed
    ['src/core/export/opKit.ts', /toExponential\(\)/], // a Python float literal
    ['src/core/pipeline/report.ts', /maxFlopsTotal\.toExponential\(1\)|minimumOps\.toExponential\(1\)/], // a setting's value
    ['webview/charts/ticks.ts', /v\.toFixed\(Math\.min\(20, decimals\)\)/], // an axis tick rounded to its step
    ['webview/format.ts', /p\.toFixed|\(ms \/ 1000\)\.toFixed/], // percentages and durations
    ['webview/graph/viewport.ts', /this\.t\.[xyk]\.toFixed/], // an SVG transform
    ['webview/views/task.ts', /\(f \* 100\)\.toFixed/], // a progress bar's width
  ]);
  const root = join(__dirname, '..', '..');
  const files = (dir: string): string[] => readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
  const offenders: string[] = [];
  for (const f of [...files('src'), ...files('webview')]) {
    if (f === join('src', 'core', 'format', 'number.ts')) continue;
    readFileSync(join(root, f), 'utf8').split('\n').forEach((line, i) => {
      if (!/\.(toExponential|toPrecision|toFixed)\(/.test(line)) return;
      const ok = allowed.get(f.split(sep).join('/'));
      if (!ok || !ok.test(line)) offenders.push(`${f}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(offenders, [], 'print computed numbers with formatNumber (src/core/format/number.ts)');
});
