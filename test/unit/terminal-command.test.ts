// "Run with python3" after an export types a command line into a terminal: the interpreter (a
// setting) and the script's path (a name the user or a repository chose) must reach the program
// as one argument each, with nothing expanded. Run through a real POSIX shell with hostile names.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { powerShellQuote, runScriptCommand } from '../../src/extension/terminalCommand';

const HOSTILE = [`it's.py`, 'a b.py', '$(touch PWNED).py', '`touch PWNED`.py', '$HOME.py', 'x;touch PWNED.py', 'quote"d.py', "two''quotes.py", 'new\\nline.py'];

test('POSIX: the interpreter and a hostile script path arrive as one argument each, unexpanded', { skip: process.platform === 'win32' ? 'POSIX shells only' : false }, () => {
  const dir = mkdtempSync(join(tmpdir(), "gradlens term '$x "));
  try {
    // A stand-in interpreter (its own path hostile too) that writes the arguments it got.
    const python = join(dir, "py $(touch PWNED) 'x");
    const out = join(dir, 'argv.json');
    writeFileSync(python, `#!${process.execPath}\nrequire('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.argv.slice(2)));\n`);
    chmodSync(python, 0o755);
    for (const name of HOSTILE) {
      const script = join(dir, name);
      const r = spawnSync('/bin/sh', ['-c', runScriptCommand(python, script, 'linux')], { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 0, `${name}: ${r.stderr}`);
      assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), [script], name);
      assert.ok(!existsSync(join(dir, 'PWNED')), `${name} ran a command`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('PowerShell: single-quoted literals (no $ expansion), a quote doubled, called with &', () => {
  assert.equal(powerShellQuote(`C:\\it's $(calc).py`), `'C:\\it''s $(calc).py'`);
  assert.equal(runScriptCommand('C:\\Python\\python.exe', 'C:\\w\\$env:x.py', 'win32'), `& 'C:\\Python\\python.exe' 'C:\\w\\$env:x.py'`);
});
