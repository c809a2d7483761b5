// Smoke: the extension activates in a real extension host, publishes the analysis worker's
// diagnostics where the mistake is, stays quiet on a correct file, and recovers from a dead worker.
import * as assert from 'node:assert/strict';
import { suite, suiteSetup, teardown, test } from 'mocha';
import * as vscode from 'vscode';
import {
  EXTENSION_ID,
  activateExtension,
  resetEditors,
  codeOf,
  describeDiagnostics,
  gradlensOnly,
  hasCodeOnLine,
  openExample,
  waitFor,
  waitForDiagnostics,
  type GradLensApi,
} from './helpers';

const WRONG_SIGN = 'broken/wrong-sign.grad';

/** The 0-based line whose trimmed text is `text` (so the test does not hard-code line numbers). */
function lineOf(doc: vscode.TextDocument, text: string): number {
  for (let i = 0; i < doc.lineCount; i++) if (doc.lineAt(i).text.trim() === text) return i;
  assert.fail(`no line "${text}" in ${doc.uri.path}`);
}

suite('smoke', () => {
  let api: GradLensApi;

  suiteSetup(async () => {
    api = await activateExtension();
  });

  // Edits are never saved: revert them so the next test sees the files as on disk.
  teardown(resetEditors);

  test('the extension is active once a .grad file is open', async () => {
    await openExample(WRONG_SIGN);
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    await waitFor('the extension to be active', () => ext?.isActive ?? false, (active) => active);
  });

  test('a wrong-sign backward gets a gradcheck-failed error on the `db = dout` line', async () => {
    const editor = await openExample(WRONG_SIGN);
    const line = lineOf(editor.document, 'db = dout');
    const list = await waitForDiagnostics(editor.document.uri, `gradcheck-failed on line ${line}`, hasCodeOnLine('gradcheck-failed', line));
    const d = list.find((x) => codeOf(x) === 'gradcheck-failed' && x.range.start.line === line);
    assert.ok(d);
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(d.source, 'GradLens');
    assert.match(d.message, /db/, 'the message names the wrong gradient');
  });

  test('a correct file (circuit.grad) has no error diagnostics', async () => {
    const editor = await openExample('circuit.grad');
    // Wait for its analysis to have been published (an unanalysed file has no errors either).
    const result = await api.service.analyzeNow(editor.document);
    assert.deepEqual(result.analysis.diagnostics.filter((d) => d.severity === 'error'), [], 'the analysis itself reports errors');
    const errors = gradlensOnly(vscode.languages.getDiagnostics(editor.document.uri)).filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
    assert.equal(errors.length, 0, `unexpected errors: ${describeDiagnostics(errors)}`);
  });

  test('after the worker is killed, edits are still analysed (the worker restarts)', async () => {
    const editor = await openExample(WRONG_SIGN);
    const doc = editor.document;
    const line = lineOf(doc, 'db = dout');
    await waitForDiagnostics(doc.uri, 'the initial gradcheck-failed', hasCodeOnLine('gradcheck-failed', line));

    const restartsBefore = (await api.stats()).workerRestarts;
    await api.service.killWorker();
    await waitFor('the worker to be reported dead and restarted', () => api.stats().then((x) => x.workerRestarts), (n) => n > restartsBefore);

    // Fix the sign: the error on that line must go away, computed by a new worker.
    const fixed = new vscode.WorkspaceEdit();
    fixed.replace(doc.uri, doc.lineAt(line).range, doc.lineAt(line).text.replace('db = dout', 'db = -dout'));
    assert.ok(await vscode.workspace.applyEdit(fixed), 'the edit was not applied');
    await waitForDiagnostics(doc.uri, `no gradcheck-failed on line ${line} after fixing the sign`, (l) => !hasCodeOnLine('gradcheck-failed', line)(l) && gradlensOnly(l).every((d) => d.severity !== vscode.DiagnosticSeverity.Error));

    // Break it again: the error comes back, so the new worker really analyses each edit.
    const broken = new vscode.WorkspaceEdit();
    broken.replace(doc.uri, doc.lineAt(line).range, doc.lineAt(line).text.replace('db = -dout', 'db = dout'));
    assert.ok(await vscode.workspace.applyEdit(broken), 'the edit was not applied');
    await waitForDiagnostics(doc.uri, `gradcheck-failed back on line ${line}`, hasCodeOnLine('gradcheck-failed', line));
  });
});
