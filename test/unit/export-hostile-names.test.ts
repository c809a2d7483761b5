// Issue 15, finding 3: a file's name (and every name, comment and path) reaches the exported
// Python only through pyEscape. A file named `net"""; print(…); """.grad` used to end the script's
// docstring and run the code. Each hostile name is exported with both exporters: the script must
// parse, keep the name as text (its docstring and its result's "file" read it back), and — run
// with numpy — print nothing the name could inject.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { exportScript } from '../../src/core';
import { pyEscape } from '../../src/core/export/pyExpr';
import { numpyAvailable } from './helpers/exportRun';
import { PYTHON } from './helpers/torch';

// Run, the injected code would print INJECTED; the name itself only spells "INJ" + "ECTED".
const STEMS = [
  'net"""; print("INJ" + "ECTED"); """',
  "net'''; print('INJ' + 'ECTED'); '''",
  'net\\"""; print("INJ" + "ECTED")#',
  'net\n"""\nprint("INJ" + "ECTED")\n"""',
  'net\r\nprint("INJ" + "ECTED")',
  'net\u0000print("INJ" + "ECTED")',
  'net\u2028print("INJ" + "ECTED")',
  'réseau \u202e"""; print("INJ" + "ECTED"); """ σ∂',
  'net\\',
];

const NET = 'input x: [3] ~ randn  # a comment: """; print("INJ" + "ECTED"); """\nparam w: [3] ~ randn\nloss = sum(x * w)\n';

const python = (args: string[], input?: string) => spawnSync(PYTHON, args, { encoding: 'utf8', input, timeout: 60_000 });

/** The script's module docstring's first line, read back by Python's parser. */
function docstringOf(script: string): string {
  const r = python(['-c', 'import ast, sys; print(repr(ast.get_docstring(ast.parse(sys.stdin.read())).split(".grad, exported")[0]))'], script);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test('pyEscape: quotes, backslashes and non-printable characters become escapes; printable text stays', () => {
  assert.equal(pyEscape('a"b\'c\\d'), 'a\\"b\\\'c\\\\d');
  assert.equal(pyEscape('x\ny\r\u0000\u202e\u2028é∂'), 'x\\x0ay\\x0d\\x00\\u202e\\u2028é∂');
  assert.equal(pyEscape('# "quoted" \\ \n', 'comment'), '# "quoted" \\ \\x0a');
  assert.equal(pyEscape('\ud800'), '\\ud800');
  assert.equal(pyEscape('😀'), '😀');
});

for (const target of ['numpy', 'torch'] as const) {
  test(`${target} export: hostile file names stay text in the script`, { skip: python(['-c', '']).status === 0 ? false : `${PYTHON} not found` }, () => {
    for (const stem of STEMS) {
      const r = exportScript(target, NET, { fileName: `/tmp/dir/${stem}.grad` });
      assert.ok(r.ok, `${JSON.stringify(stem)}: ${r.ok ? '' : r.error}`);
      const script = r.files[0];
      assert.ok('content' in script);
      // It parses, and its docstring starts with the name (a backslash separates folders, as on
      // Windows), character for character.
      const base = stem.split(/[\\/]/).pop() || 'network';
      const exact = python(['-c', 'import sys; print(repr(sys.stdin.buffer.read().decode("utf-8", "surrogatepass")))'], base).stdout.trim();
      assert.equal(docstringOf(script.content), exact, JSON.stringify(stem));
    }
  });
}

test('numpy export of hostile file names runs and prints nothing it should not', { skip: numpyAvailable() ? false : `${PYTHON} cannot import numpy` }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradlens-hostile-'));
  STEMS.forEach((stem, k) => {
    const r = exportScript('numpy', NET, { fileName: `${stem}.grad`, scriptName: `hostile${k}.py` });
    assert.ok(r.ok);
    const script = r.files[0];
    assert.ok('content' in script);
    const path = join(dir, script.path);
    writeFileSync(path, script.content);
    const run = python([path]);
    assert.equal(run.status, 0, `${JSON.stringify(stem)}:\n${run.stderr}`);
    assert.doesNotMatch(run.stdout + run.stderr, /INJECTED/, JSON.stringify(stem));
  });
});
