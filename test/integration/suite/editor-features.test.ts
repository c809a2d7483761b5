// The editor features through VS Code's own provider commands (what the editor asks for when it
// renders): code lenses, hovers, inlay hints and quick fixes on the examples.
import * as assert from 'node:assert/strict';
import { suite, suiteSetup, teardown, test } from 'mocha';
import * as vscode from 'vscode';
import { activateExtension, resetEditors, codeOf, hasCodeOnLine, openExample, waitFor, waitForDiagnostics, type GradLensApi } from './helpers';

function lineOf(doc: vscode.TextDocument, startsWith: string): number {
  for (let i = 0; i < doc.lineCount; i++) if (doc.lineAt(i).text.trimStart().startsWith(startsWith)) return i;
  assert.fail(`no line starting with "${startsWith}" in ${doc.uri.path}`);
}

function hoverText(hovers: vscode.Hover[]): string {
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
}

function hintLabel(h: vscode.InlayHint): string {
  return typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join('');
}

suite('editor features', () => {
  let api: GradLensApi;

  suiteSetup(async () => {
    api = await activateExtension();
  });

  // Edits are never saved: revert them so the next test sees the files as on disk.
  teardown(resetEditors);

  test('value lenses are opt-in (Toggle Value Lenses, gradlens.codeLens.values): then they show each statement\'s shape, value norm and gradient norm', async () => {
    const { document: doc } = await openExample('two-layer-net.grad');
    await api.service.analyzeNow(doc);
    const line = lineOf(doc, 'param W1');
    const lensesOn = () => vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 100);
    const describe = (l: vscode.CodeLens[] | undefined) => (l ?? []).map((x) => `${x.range.start.line}: ${x.command?.title}`).join('; ') || 'no lenses';
    // By default the values are at the line ends: no lens repeats them.
    const byDefault = await lensesOn();
    assert.ok(!(byDefault ?? []).some((x) => x.range.start.line === line), `no value lens by default: ${describe(byDefault)}`);
    const config = vscode.workspace.getConfiguration('gradlens');
    await vscode.commands.executeCommand('gradlens.toggleValueLenses');
    try {
      assert.equal(vscode.workspace.getConfiguration('gradlens').inspect('codeLens.values')?.globalValue, true, 'Toggle Value Lenses writes the user setting');
      const lenses = await waitFor(`a code lens on line ${line} (param W1)`, lensesOn, (l) => (l ?? []).some((x) => x.range.start.line === line), {}, describe);
      const titles = lenses.filter((x) => x.range.start.line === line).map((x) => x.command?.title ?? '');
      assert.ok(titles.some((t) => /^\[D, H\] = 10×5 · ‖v‖ [\d.]+ · ‖∂loss‖ [\d.]+/.test(t)), `W1's lens: ${titles.join(' | ')}`);
    } finally {
      await config.update('codeLens.values', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('values at the line ends follow each edit (the circuit\'s f reads -12, then -6 after z = -2); Toggle Inline Values clears them', async () => {
    const config = vscode.workspace.getConfiguration('gradlens');
    assert.equal(config.get('inlineValues.enabled'), true, 'on by default');
    try {
      const editor = await openExample('circuit.grad');
      const doc = editor.document;
      const fLine = lineOf(doc, 'f = ');
      const textOn = (line: number) => api.inlineValues.rendered(doc.uri)?.lines.find((l) => l.line === line)?.text;
      const show = () => JSON.stringify(api.inlineValues.rendered(doc.uri) ?? null).slice(0, 400);
      await waitFor('the inline value of f', () => textOn(fLine), (t) => t === 'f: value -12 · ∂f 1', {}, show);
      const zLine = lineOf(doc, 'input z');
      await editor.edit((e) => e.replace(doc.lineAt(zLine).range, 'input z = -2'));
      const version = doc.version;
      await waitFor('the inline value of f for the edited text', () => api.inlineValues.rendered(doc.uri), (r) => r?.version === version && textOn(fLine) === 'f: value -6 · ∂f 1', {}, show);
      assert.equal(textOn(lineOf(doc, 'q = ')), 'q: value 3 · ∂f -2');
      // Toggled off, they are cleared; on again, they are back.
      await vscode.commands.executeCommand('gradlens.toggleInlineValues');
      assert.equal(vscode.workspace.getConfiguration('gradlens').inspect('inlineValues.enabled')?.globalValue, false, 'the toggle writes the user setting');
      await waitFor('the inline values to be cleared', () => api.inlineValues.rendered(doc.uri), (r) => r === undefined, {}, show);
      await vscode.commands.executeCommand('gradlens.toggleInlineValues');
      await waitFor('the inline values to come back', () => textOn(fLine), (t) => t === 'f: value -6 · ∂f 1', {}, show);
    } finally {
      await config.update('inlineValues.enabled', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('a hover gives a tensor\'s shape and statistics', async () => {
    const { document: doc } = await openExample('two-layer-net.grad');
    await api.service.analyzeNow(doc);
    const line = lineOf(doc, 'h1 ');
    const hovers = await waitFor(
      'a hover on h1',
      () => vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(line, 1)),
      (h) => hoverText(h ?? []).includes('**h1**'),
      {},
      (h) => hoverText(h ?? []).slice(0, 300) || 'no hover',
    );
    const text = hoverText(hovers);
    assert.match(text, /`\[N, H\]` = 4×5 \(N=4, H=5\)/, text);
    assert.match(text, /\| value \|/, `no statistics table: ${text}`);
  });

  test('inlay hints give the inferred shape of names written without one', async () => {
    const { document: doc } = await openExample('two-layer-net.grad');
    await api.service.analyzeNow(doc);
    const line = lineOf(doc, 'h1 ');
    const hints = await waitFor(
      `an inlay hint on line ${line}`,
      () => vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', doc.uri, new vscode.Range(0, 0, doc.lineCount, 0)),
      (h) => (h ?? []).some((x) => x.position.line === line),
      {},
      (h) => (h ?? []).map((x) => `${x.position.line}:${hintLabel(x)}`).join('; ') || 'no hints',
    );
    const h1 = hints.find((x) => x.position.line === line);
    assert.ok(h1);
    assert.equal(hintLabel(h1), ': [N, H]');
    assert.equal(h1.position.character, 2, 'the hint sits right after `h1`');
  });

  test('the dimension-analysis quick fix writes `X.T @ dout` and clears the error', async () => {
    const { document: doc } = await openExample('broken/missing-transpose.grad');
    const line = lineOf(doc, 'dW = ');
    const diags = await waitForDiagnostics(doc.uri, `backward-shape on line ${line}`, hasCodeOnLine('backward-shape', line));
    const d = diags.find((x) => codeOf(x) === 'backward-shape' && x.range.start.line === line);
    assert.ok(d);
    const actions = await waitFor(
      'the quick fix "Replace with `X.T @ dout`"',
      () => vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, d.range, vscode.CodeActionKind.QuickFix.value),
      (a) => (a ?? []).some((x) => x.title === 'Replace with `X.T @ dout`'),
      {},
      (a) => (a ?? []).map((x) => x.title).join('; ') || 'no actions',
    );
    const fix = actions.find((x) => x.title === 'Replace with `X.T @ dout`');
    assert.ok(fix?.edit, 'the fix has no edit');
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.equal(doc.lineAt(line).text.trim(), 'dW = X.T @ dout');
    await waitForDiagnostics(doc.uri, 'no errors after the fix', (l) => l.every((x) => x.severity !== vscode.DiagnosticSeverity.Error));
  });
});
