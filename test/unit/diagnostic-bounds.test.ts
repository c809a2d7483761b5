// A file of garbage (every character invalid) makes a diagnostic per run of bad characters: no
// sink may keep more than CORE_DEFAULTS.maxDiagnostics of them, in the analysis (the parser's own
// sinks) or in the IDE features (semantic tokens, folding…). Before, the hostile corpus'
// garbage.grad (a million lines, 3 million diagnostics) took 63 s to analyse and 112 s and 2.5 GB
// of the language server's thread for its semantic tokens; the count of those left out stays exact.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/core/analyze';
import { CORE_DEFAULTS } from '../../src/core/defaults';
import { DiagnosticSink } from '../../src/core/diagnostics';
import { ide } from '../../src/core';

const LINES = 20_000;
const GARBAGE = `${Array.from({ length: LINES }, () => '§ ¤ ¶').join('\n')}\n`;

/** The most diagnostics any sink held while `fn` ran. */
function mostHeld(fn: () => void): number {
  const add = DiagnosticSink.prototype.add;
  let most = 0;
  DiagnosticSink.prototype.add = function (this: DiagnosticSink, d) {
    add.call(this, d);
    most = Math.max(most, this.items.length);
  };
  try {
    fn();
  } finally {
    DiagnosticSink.prototype.add = add;
  }
  return most;
}

test('a file of garbage: no sink of the analysis holds more than maxDiagnostics, and the count of the rest is exact', () => {
  let listed = 0;
  let message = '';
  const most = mostHeld(() => {
    const a = analyze(GARBAGE);
    listed = a.diagnostics.length;
    message = a.diagnostics.at(-1)?.message ?? '';
  });
  assert.ok(most <= CORE_DEFAULTS.maxDiagnostics, `a sink held ${most} diagnostics`);
  assert.equal(listed, CORE_DEFAULTS.maxDiagnostics + 1);
  // Three runs of bad characters per line, all counted (and the file's other problems: no loss).
  const more = Number(/^([\d,]+) more problems/.exec(message)?.[1].replaceAll(',', ''));
  assert.ok(more >= 3 * LINES - CORE_DEFAULTS.maxDiagnostics && more <= 3 * LINES - CORE_DEFAULTS.maxDiagnostics + 5, message);
});

test('a file of garbage: the IDE features keep at most maxDiagnostics, and an edit of it still lexes right', () => {
  const most = mostHeld(() => {
    assert.deepEqual(ide.semanticTokens(GARBAGE), []);
    ide.foldingRanges(GARBAGE);
  });
  assert.ok(most <= CORE_DEFAULTS.maxDiagnostics, `a sink held ${most} diagnostics`);
  // After an edit of a document whose errors were not all kept, the whole text is lexed again.
  const edited = `input x = 2\nloss = x * x\n${GARBAGE}`;
  const tokens = ide.semanticTokens(edited);
  assert.ok(tokens.length > 0);
});
