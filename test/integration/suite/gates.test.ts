// The broken-gate examples inside VS Code: each classic mistake is a diagnostic with the right
// code on the right line, the gate's lens shows its verdict, hovers explain ops and failing
// checks, and "Derive backward" writes a block that passes.
import * as assert from 'node:assert/strict';
import { suite, suiteSetup, teardown, test } from 'mocha';
import * as vscode from 'vscode';
import { activateExtension, closeAllEditors, exampleUri, resetEditors, codeOf, describeDiagnostics, hasCodeOnLine, openExample, waitFor, waitForDiagnostics, type GradLensApi } from './helpers';

function lineOf(doc: vscode.TextDocument, needle: string): number {
  for (let i = 0; i < doc.lineCount; i++) if (doc.lineAt(i).text.includes(needle)) return i;
  assert.fail(`no line containing "${needle}" in ${doc.uri.path}`);
}

function hoverText(hovers: vscode.Hover[] | undefined): string {
  return (hovers ?? []).flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
}

async function lensTitles(doc: vscode.TextDocument, line: number): Promise<string[]> {
  const lenses = await waitFor(
    `code lenses on line ${line}`,
    () => vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 100),
    (l) => (l ?? []).some((x) => x.range.start.line === line),
    {},
    (l) => (l ?? []).map((x) => `${x.range.start.line}: ${x.command?.title}`).join('; ') || 'no lenses',
  );
  return lenses.filter((x) => x.range.start.line === line).map((x) => x.command?.title ?? '');
}

interface DeriveOutcome {
  message: string;
  applied: boolean;
}

/**
 * Runs Derive Backward on `gate`, answering its Apply/Discard question with `answer` — after
 * checking that the question comes while the diff of the file against the derived block is open.
 */
async function deriveAnswering(api: GradLensApi, doc: vscode.TextDocument, gate: string, answer: 'Apply' | 'Discard'): Promise<{ outcome: DeriveOutcome; asked: string[]; diffOpen: boolean }> {
  const asked: string[] = [];
  let diffOpen = false;
  const original = api.prompts.confirm;
  api.prompts.confirm = async (message: string, ...actions: string[]) => {
    asked.push(`${message} [${actions.join('/')}]`);
    diffOpen = vscode.window.tabGroups.all
      .flatMap((g) => g.tabs)
      .some((t) => t.input instanceof vscode.TabInputTextDiff && t.input.original.toString() === doc.uri.toString() && t.input.modified.scheme === 'gradlens-derived');
    return answer;
  };
  try {
    const outcome = await vscode.commands.executeCommand<DeriveOutcome>('gradlens.deriveBackward', doc.uri, gate);
    return { outcome, asked, diffOpen };
  } finally {
    api.prompts.confirm = original;
  }
}

/** The classic mistakes: file, the line that is wrong, and the diagnostic it must get there. */
const MISTAKES: [string, string, string][] = [
  ['broken/missing-transpose.grad', 'dW = dout @ X', 'backward-shape'],
  ['broken/forgotten-bias-sum.grad', 'db = dout', 'backward-shape'],
  ['broken/swapped-order.grad', 'dW = dout.T @ X', 'gradcheck-failed'],
  ['broken/wrong-sign.grad', 'db = dout', 'gradcheck-failed'],
  ['broken/sigmoid-input.grad', 'dx = sigmoid(x) * (1 - x) * dout', 'gradcheck-failed'],
  ['broken/relu-mask.grad', 'dx = dout * (dout > 0)', 'gradcheck-failed'],
  ['broken/softmax-overflow.grad', 'p = exp(s) / sum(exp(s)', 'unstable-softmax'],
];

suite('gates and their checks', () => {
  let api: GradLensApi;

  suiteSetup(async () => {
    api = await activateExtension();
  });

  // Edits are never saved: revert them so the next test sees the files as on disk.
  teardown(resetEditors);

  for (const [file, needle, code] of MISTAKES) {
    test(`${file}: ${code} on the line \`${needle}\``, async () => {
      const { document: doc } = await openExample(file);
      const line = lineOf(doc, needle);
      const diags = await waitForDiagnostics(doc.uri, `${code} on line ${line}`, hasCodeOnLine(code, line));
      const d = diags.find((x) => codeOf(x) === code && x.range.start.line === line);
      assert.ok(d);
      assert.equal(d.source, 'GradLens');
      if (code === 'gradcheck-failed') {
        assert.match(d.message, /gradient check failed for `d\w+` of `\w+`: relative error [\d.e+-]+ at \[[\d, ]*\]/);
        assert.ok(d.relatedInformation?.length, 'points at the call the gate was checked at');
      }
    });
  }

  // A broken gate keeps every other gradient of the file: with a backward block that has an error,
  // the gate is differentiated automatically and the lenses of the statements outside it still show
  // ∂ values. The one exception is a forward pass that overflows: gradients through NaN would be NaN.
  test('every examples/broken file: the lenses outside the broken gate still show ∂ values', async () => {
    const files = (await vscode.workspace.fs.readDirectory(exampleUri('broken'))).map(([n]) => n).filter((n) => n.endsWith('.grad'));
    assert.ok(files.length >= 7, files.join(', '));
    const config = vscode.workspace.getConfiguration('gradlens');
    await config.update('codeLens.values', true, vscode.ConfigurationTarget.Global);
    try {
      for (const file of files) {
        const { document: doc } = await openExample(`broken/${file}`);
        const r = (await api.service.analyzeNow(doc)) as unknown as { analysis: { nodes: { name: string; kind: string; isInt: boolean; statementRange: vscode.Range }[]; diagnostics: { code: string; severity: string }[] } };
        const a = r.analysis;
        if (a.diagnostics.some((d) => d.code === 'non-finite' && d.severity === 'error')) {
          assert.equal(file, 'softmax-overflow.grad', `${file}: only the overflow example may stop the gradients`);
          continue;
        }
        const differentiable = a.nodes.filter((n) => !n.isInt && n.kind !== 'const');
        assert.ok(differentiable.length >= 2, file);
        const lenses = await waitFor(
          `${file}: a lens with ∂ on every statement`,
          () => vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 100),
          (l) => differentiable.every((n) => (l ?? []).some((x) => x.range.start.line === n.statementRange.start.line && /∂loss/.test(x.command?.title ?? ''))),
          {},
          (l) => (l ?? []).map((x) => `${x.range.start.line}: ${x.command?.title}`).join('; ') || 'no lenses',
        );
        assert.ok(lenses.every((x) => !/no gradient/.test(x.command?.title ?? '')), `${file}: ${lenses.map((x) => x.command?.title).join(' | ')}`);
        await closeAllEditors();
      }
    } finally {
      await config.update('codeLens.values', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('a gate with a shape error in its backward block: its lens says autodiff stands in, a note says why', async () => {
    const { document: doc } = await openExample('broken/missing-transpose.grad');
    await api.service.analyzeNow(doc);
    const gateLine = lineOf(doc, 'gate affine');
    const titles = await lensTitles(doc, gateLine);
    assert.ok(titles.includes('✗ backward has an error · autodiff in its place'), titles.join(' | '));
    const diags = await waitForDiagnostics(doc.uri, `autodiff-fallback on line ${gateLine}`, hasCodeOnLine('autodiff-fallback', gateLine));
    const note = diags.find((x) => codeOf(x) === 'autodiff-fallback');
    assert.equal(note?.severity, vscode.DiagnosticSeverity.Information);
  });

  test('the gate lens shows the failing gradient, the correct gate lens shows ✓ gradcheck', async () => {
    const { document: bad } = await openExample('broken/wrong-sign.grad');
    await api.service.analyzeNow(bad);
    const titles = await lensTitles(bad, lineOf(bad, 'gate difference'));
    assert.ok(titles.some((t) => /^✗ db rel err [\d.e+-]+ at \[\d+\]$/.test(t)), titles.join(' | '));
    for (const action of ['Check', 'Derive backward', 'Show in graph']) assert.ok(titles.includes(action), `missing ${action}: ${titles.join(' | ')}`);
    await closeAllEditors();
    const { document: good } = await openExample('affine-gate.grad');
    await api.service.analyzeNow(good);
    const ok = await lensTitles(good, lineOf(good, 'gate affine'));
    assert.ok(ok.some((t) => /^✓ gradcheck /.test(t)), ok.join(' | '));
  });

  test('the values at the line ends give value and gradient, as in the lecture', async () => {
    const { document: doc } = await openExample('circuit.grad');
    await api.service.analyzeNow(doc);
    const textOn = (line: number) => api.inlineValues.rendered(doc.uri)?.lines.find((l) => l.line === line)?.text;
    const show = () => JSON.stringify(api.inlineValues.rendered(doc.uri) ?? null).slice(0, 400);
    await waitFor('the value of f at its line end', () => textOn(lineOf(doc, 'f = q * z')), (t) => t === 'f: value -12 · ∂f 1', {}, show);
    assert.equal(textOn(lineOf(doc, 'input x = -2')), 'x: value -2 · ∂f -4');
    assert.equal(textOn(lineOf(doc, 'input z = -4')), 'z: value -4 · ∂f 3');
  });

  test('hovers explain how an op routes gradients, and show a failing check\'s worst entries', async () => {
    const { document: doc } = await openExample('broken/wrong-sign.grad');
    await api.service.analyzeNow(doc);
    const callLine = lineOf(doc, 'out = a - b');
    const minus = doc.lineAt(callLine).text.indexOf('-');
    const op = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(callLine, minus)));
    assert.match(op, /Passes the upstream gradient to the left input and its negation to the right/);
    const dbLine = lineOf(doc, 'db = dout');
    const check = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(dbLine, 5)));
    assert.match(check, /gradient check of `difference\.db`: fail/);
    assert.match(check, /\| index \| analytic \| numeric \| abs err \| rel err \|/);
    const { document: affine } = await openExample('affine-gate.grad');
    await api.service.analyzeNow(affine);
    const reluLine = lineOf(affine, 'out = relu(x)');
    const relu = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', affine.uri, new vscode.Position(reluLine, affine.lineAt(reluLine).text.indexOf('relu') + 1)));
    assert.match(relu, /A gate: passes the upstream gradient where x > 0/);
  });

  test('"Derive backward" shows the change as a diff, says which gradients differ, and applies on Apply', async () => {
    const { document: doc } = await openExample('broken/wrong-sign.grad');
    const original = doc.getText();
    const { outcome, asked, diffOpen } = await deriveAnswering(api, doc, 'difference', 'Apply');
    assert.equal(outcome.message, 'derived 2 gradients of `difference`; db differs from yours');
    assert.deepEqual(asked, ['GradLens: derived 2 gradients of `difference`; db differs from yours. Apply the derived block? [Apply/Discard]']);
    assert.ok(diffOpen, 'the diff of the file against the derived block is open while it asks');
    assert.notEqual(doc.getText(), original, 'applied');
    assert.match(doc.getText(), /^\s*db = -dout$/m);
    assert.equal(outcome.applied, true);
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs);
    assert.ok(!tabs.some((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.scheme === 'gradlens-derived'), 'the diff is closed afterwards');
    const r = await api.service.analyzeNow(doc);
    const checks = (r.analysis as unknown as { gradchecks: { target: string; verdict: string }[] }).gradchecks;
    assert.ok(checks.filter((c) => c.target.startsWith('difference.')).every((c) => c.verdict === 'pass'), JSON.stringify(checks));
    await waitForDiagnostics(doc.uri, 'no errors after deriving', (l) => l.every((x) => x.severity !== vscode.DiagnosticSeverity.Error));
    // Again, on the now correct gate: no question, and it says there is nothing to change.
    const again = await deriveAnswering(api, doc, 'difference', 'Apply');
    assert.deepEqual(again.asked, []);
    assert.equal(again.outcome.applied, false);
    assert.match(again.outcome.message, /nothing to change$/);
  });

  test('"Derive backward" changes nothing on Discard', async () => {
    const { document: doc } = await openExample('broken/swapped-order.grad');
    const original = doc.getText();
    const { outcome, diffOpen } = await deriveAnswering(api, doc, 'linear', 'Discard');
    assert.ok(diffOpen);
    assert.equal(outcome.message, 'derived 2 gradients of `linear`; dW differs from yours');
    assert.equal(doc.getText(), original);
    assert.equal(outcome.applied, false);
  });

  test('an edit while the backward pass is derived: the block is never spliced into a text it was not derived from', async () => {
    const { document: doc } = await openExample('broken/wrong-sign.grad');
    const comment = '# typed while deriving\n';
    const original = doc.getText();
    const asked: string[] = [];
    const confirm = api.prompts.confirm;
    api.prompts.confirm = async (message: string) => {
      asked.push(message);
      return 'Apply';
    };
    try {
      // The command captures the version, then waits for the server; the edit lands meanwhile.
      const running = vscode.commands.executeCommand<DeriveOutcome>('gradlens.deriveBackward', doc.uri, 'difference');
      const edit = new vscode.WorkspaceEdit();
      edit.insert(doc.uri, new vscode.Position(0, 0), comment);
      assert.ok(await vscode.workspace.applyEdit(edit));
      const outcome = await running;
      const text = doc.getText();
      assert.ok(text.startsWith(comment), 'the typed line is kept');
      if (outcome.applied) {
        // The edit was in before the version was taken: derived from the edited text, applied whole.
        assert.match(text, /^\s*db = -dout$/m);
        assert.equal(text.replace(/^\s*db = -dout$/m, '    db = dout'), comment + original, 'only the db line changed');
      } else {
        // Refused: by the command (the edit came while the server derived) before any question,
        // or by the preview (it came while the diff was shown) after its question.
        assert.equal(text, comment + original, 'nothing but the typed line changed');
        const byCommand = /changed while the backward pass of `difference` was derived/.test(outcome.message);
        assert.ok(byCommand ? asked.length === 0 : asked.length === 1, `${outcome.message}; asked ${JSON.stringify(asked)}`);
      }
    } finally {
      api.prompts.confirm = confirm;
    }
  });

  test('a failing gate check offers to replace the backward block with the derived one; undo restores it', async () => {
    const { document: doc } = await openExample('broken/relu-mask.grad');
    const original = doc.getText();
    const line = lineOf(doc, 'dx = dout * (dout > 0)');
    const diags = await waitForDiagnostics(doc.uri, `gradcheck-failed on line ${line}`, hasCodeOnLine('gradcheck-failed', line));
    const failing = diags.find((x) => codeOf(x) === 'gradcheck-failed' && x.range.start.line === line);
    assert.ok(failing);
    const title = 'Replace the backward block of `relu_gate` with the derived one';
    const actions = await waitFor(
      `the "${title}" action`,
      () => vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, new vscode.Range(line, 6, line, 6), vscode.CodeActionKind.QuickFix.value),
      (a) => (a ?? []).some((x) => x.title === title),
      {},
      (a) => (a ?? []).map((x) => x.title).join('; ') || 'no actions',
    );
    const a = actions.find((x) => x.title === title);
    assert.ok(a?.edit && (await vscode.workspace.applyEdit(a.edit)));
    assert.doesNotMatch(doc.getText(), /dout > 0/, 'the wrong mask is gone');
    const r = await api.service.analyzeNow(doc);
    const checks = (r.analysis as unknown as { gradchecks: { target: string; verdict: string }[] }).gradchecks;
    const gateCheck = checks.find((c) => c.target === 'relu_gate.dx');
    assert.ok(gateCheck && (gateCheck.verdict === 'pass' || gateCheck.verdict === 'ok-if-kinked'), JSON.stringify(checks));
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('undo');
    assert.equal(doc.getText(), original, 'one undo restores the hand-written block');
  });

  test('a gate without a backward block offers "Derive backward" as a code action', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'grad', content: 'dims N = 3, D = 4, M = 2\ninput X: [N, D]\nparam W: [D, M]\ngate f(X: [N, D], W: [D, M]) -> out: [N, M] {\n  out = tanh(X @ W)\n}\nloss = sum(f(X, W))\n' });
    await vscode.window.showTextDocument(doc);
    await api.service.analyzeNow(doc);
    const actions = await waitFor(
      'the "Derive backward for `f`" action',
      () => vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, new vscode.Range(4, 2, 4, 2)),
      (a) => (a ?? []).some((x) => x.title === 'Derive backward for `f`'),
      {},
      (a) => (a ?? []).map((x) => x.title).join('; ') || 'no actions',
    );
    const a = actions.find((x) => x.title === 'Derive backward for `f`');
    assert.ok(a?.edit && (await vscode.workspace.applyEdit(a.edit)));
    assert.match(doc.getText(), /backward \{\n\s+dz = dout \* \(1 - out \* out\)\n\s+dX = dz @ W\.T\n\s+dW = X\.T @ dz\n\s+\}/);
    await api.service.analyzeNow(doc);
    assert.equal(describeDiagnostics(vscode.languages.getDiagnostics(doc.uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error)), 'no diagnostics');
  });
});
