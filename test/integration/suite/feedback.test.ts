// Feedback on a real file that is fast and honest (issue 21): an analysis is published in phases —
// shapes, values before the gradient checks end, then the checks — and values of an older text
// stay marked as stale until the new ones arrive. On a 30-layer net whose checks take seconds.
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { suite, suiteSetup, teardown, test } from 'mocha';
import * as vscode from 'vscode';
import { DEEP_NET_SEED_LINE, deepNetText } from '../../fixtures/deepNet';
import { activateExtension, codeOf, exampleUri, openExample, resetEditors, waitFor, waitForDiagnostics, type GradLensApi } from './helpers';

interface Published {
  uri: string;
  version: number;
  phase?: 'shapes' | 'values';
  lineValues: { line: number; text: string }[];
}

interface Rendered {
  version: number;
  lines: { line: number; text: string }[];
  stale?: boolean;
}

suite('feedback: phases and stale values', () => {
  let api: GradLensApi;
  let onDidPublish: vscode.Event<Published>;
  let rendered: (uri: vscode.Uri) => Rendered | undefined;
  let overrides: (uri: vscode.Uri) => { notes: { line: number; text: string }[]; status: string | null; tooltip: string | null };

  suiteSetup(async () => {
    api = await activateExtension();
    onDidPublish = (api.service as unknown as { onDidPublish: vscode.Event<Published> }).onDidPublish;
    rendered = (uri) => (api.inlineValues as unknown as { rendered(u: vscode.Uri): Rendered | undefined }).rendered(uri);
    overrides = (uri) => (api as unknown as { overrides: { rendered: typeof overrides } }).overrides.rendered(uri);
  });

  teardown(resetEditors);

  test('on a 30-layer net the phases arrive in order (shapes, values, checks) and the values are drawn before the checks finish', async () => {
    const uri = exampleUri('deep-net-phases.grad');
    writeFileSync(uri.fsPath, deepNetText(30));
    const seen: Published[] = [];
    const drawnAt: Record<string, Rendered | undefined> = {};
    const sub = onDidPublish((p) => {
      if (p.uri !== uri.toString()) return;
      seen.push(p);
      // What the line ends show once the values phase arrived (the inline values, which subscribed
      // at activation, drew it already): the checks have not finished yet, their phase comes later.
      if (p.phase === 'values') drawnAt[`values ${p.version}`] = structuredClone(rendered(uri));
    });
    try {
      const doc = await vscode.workspace.openTextDocument(uri);
      const editor = await vscode.window.showTextDocument(doc, { preview: false });
      const describe = () => seen.map((p) => `${p.version}:${p.phase ?? 'done'}`).join(' ');
      await waitFor('the values of the 30-layer net', () => rendered(uri), (r) => r !== undefined && r.lines.length >= 30, { timeoutMs: 120_000 }, () => describe());
      // An edit in the visible editor: its phases are drawn as they come.
      assert.ok(await editor.edit((e) => e.replace(doc.lineAt(2).range, 'seed 3')));
      const version = doc.version;
      await waitFor('the finished analysis of the edited net', () => seen.some((p) => p.version === version && !p.phase), (x) => x, { timeoutMs: 120_000 }, describe);
      const phases = seen.filter((p) => p.version === version).map((p) => p.phase ?? 'done');
      // The edit came while the first text's checks ran: the values lane (a second worker) brings
      // the values at once, with the shapes in them, so a separate shapes phase may not come first.
      assert.ok(
        JSON.stringify(phases) === JSON.stringify(['shapes', 'values', 'done']) || JSON.stringify(phases) === JSON.stringify(['values', 'done']),
        `the phases of version ${version}, in order, each once: ${describe()}`,
      );
      const values = seen.find((p) => p.version === version && p.phase === 'values');
      assert.ok(values && values.lineValues.some((l) => /^h30: (\[N, W\] = )?16×64 · ‖v‖/.test(l.text)), `the values phase carries h30's value: ${JSON.stringify(values?.lineValues.slice(-3))}`);
      const before = drawnAt[`values ${version}`];
      assert.ok(before && before.version === version && !before.stale && before.lines.length >= 30, `the values were drawn before the checks finished: ${JSON.stringify(before)?.slice(0, 300)}`);
    } finally {
      sub.dispose();
    }
  });

  test('after an edit the values of the older text stay, moved with their lines and marked stale, until the new ones arrive', async () => {
    const uri = exampleUri('deep-net-stale.grad');
    writeFileSync(uri.fsPath, deepNetText(30));
    const doc = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(doc, { preview: false });
    const show = () => JSON.stringify(rendered(uri) ?? null).slice(0, 300);
    const fresh = await waitFor('the values of the 30-layer net', () => rendered(uri), (r) => r !== undefined && !r.stale && r.version === doc.version && r.lines.length >= 30, { timeoutMs: 120_000 }, show);
    const w1 = fresh?.lines.find((l) => l.text.startsWith('W1:'));
    assert.ok(w1, show());
    // A comment line at the top: every line moves down by one; the seed changes every value.
    const ok = await editor.edit((e) => {
      e.insert(new vscode.Position(0, 0), '# edited\n');
      // (positions in the text before the edit)
      e.replace(doc.lineAt(2).range, 'seed 5');
    });
    assert.ok(ok);
    // Synchronously after the edit event: the older values, marked.
    const now = rendered(uri);
    assert.ok(now?.stale, `marked stale at once: ${show()}`);
    assert.equal(now?.version, doc.version);
    assert.deepEqual(
      now?.lines.find((l) => l.text === w1.text),
      { line: w1.line + 1, text: w1.text },
      'the older value of W1 moved down with its line',
    );
    const next = await waitFor('the values of the edited text', () => rendered(uri), (r) => r !== undefined && !r.stale && r.version === doc.version, { timeoutMs: 60_000 }, show);
    const newW1 = next?.lines.find((l) => l.text.startsWith('W1:'));
    assert.ok(newW1 && newW1.line === w1.line + 1 && newW1.text !== w1.text, `W1's new value (seed 5) on its moved line: ${JSON.stringify(newW1)} vs ${JSON.stringify(w1)}`);
  });

  test('an edit inside one line: the older values stay as drawn for a moment, then the new ones replace them', async () => {
    // A file of its own: an example may carry a Re-seed override from another suite (then its seed line does nothing).
    const uri = exampleUri('stale-delay.grad');
    writeFileSync(uri.fsPath, deepNetText(3));
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: false });
    const doc = editor.document;
    const show = () => `document v${doc.version}, drawn ${JSON.stringify(rendered(doc.uri) ?? null).slice(0, 300)}`;
    await waitFor('the values of stale-delay.grad', () => rendered(doc.uri), (r) => r !== undefined && !r.stale && r.version === doc.version && r.lines.length >= 5, { timeoutMs: 60_000 }, show);
    // The finished analysis (a settings change republishes it only when nothing runs).
    await api.service.analyzeNow(doc);
    // Analyses on save only: the new values are late for certain (they come when the file is saved).
    // The server learns of the setting a moment later: a change that leaves the analysis alone
    // republishes the latest result, which says it has (an edit before that would be analysed).
    const republished = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.dispose();
        reject(new Error('the server did not republish after the run setting changed'));
      }, 20_000);
      const sub = onDidPublish((p) => {
        if (p.uri !== doc.uri.toString() || p.version !== doc.version) return;
        clearTimeout(timer);
        sub.dispose();
        resolve();
      });
    });
    await vscode.workspace.getConfiguration('gradlens').update('run', 'onSave', vscode.ConfigurationTarget.Global);
    try {
      await republished;
      const drawnBefore = rendered(doc.uri);
      assert.ok(await editor.edit((e) => e.replace(new vscode.Range(DEEP_NET_SEED_LINE, 5, DEEP_NET_SEED_LINE, 6), '4')));
      // Synchronously after the edit: nothing redrawn yet (the new values usually come first).
      assert.deepEqual(rendered(doc.uri), drawnBefore, 'an edit inside a line does not redraw at once');
      // The new values are late (no analysis until the save): the older ones are marked a moment later.
      // (A settings change that alters only the run mode re-runs nothing, so none of the edited text comes.)
      const marked = await waitFor('the older values marked stale', () => rendered(doc.uri), (r) => r !== undefined && r.stale === true && r.version === doc.version, { timeoutMs: 10_000 }, show);
      assert.deepEqual(marked?.lines, drawnBefore?.lines, 'the older values, on the same lines');
      assert.ok(await doc.save());
      const fresh = await waitFor('the new values', () => rendered(doc.uri), (r) => r !== undefined && !r.stale && r.version === doc.version, { timeoutMs: 60_000 }, show);
      assert.notDeepEqual(fresh?.lines, drawnBefore?.lines, 'new values (seed 4)');
    } finally {
      await vscode.workspace.getConfiguration('gradlens').update('run', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('Re-seed and Set Dimension Sizes are visible in the editor (notes on the seed and dims lines, a status bar item with the CLI command) and reset', async () => {
    const editor = await openExample('two-layer-net.grad');
    const doc = editor.document;
    const seedLine = doc.getText().split('\n').indexOf('seed 0');
    const show = () => JSON.stringify(overrides(doc.uri));
    const xText = () => rendered(doc.uri)?.lines.find((l) => l.text.startsWith('X:'))?.text ?? '';
    await waitFor('the values of two-layer-net.grad', xText, (t) => t.includes('4×10'), {}, (t) => t);
    await vscode.commands.executeCommand('gradlens.reseed', doc.uri, 7);
    await vscode.commands.executeCommand('gradlens.setDims', doc.uri, { N: 12, D: 10, H: 5, C: 3 });
    const o = overrides(doc.uri);
    assert.deepEqual(o.notes, [
      { line: seedLine, text: 'overridden: seed = 7 — reset' },
      { line: seedLine + 1, text: 'overridden: N = 12 — reset' },
    ], show());
    assert.match(o.status ?? '', /seed = 7, N = 12/, show());
    assert.match(o.tooltip ?? '', /gradlens check two-layer-net\.grad --seed 7 --dim N=12 --dim D=10 --dim H=5 --dim C=3/, show());
    // The values shown are the overridden ones.
    await waitFor('X at N = 12 at the line end', xText, (t) => t.includes('12×10'), {}, (t) => t);
    assert.equal(doc.isDirty, false, 'the file itself is unchanged');
    await vscode.commands.executeCommand('gradlens.resetOverrides', doc.uri);
    assert.deepEqual(overrides(doc.uri), { notes: [], status: null, tooltip: null });
    await waitFor('X back at N = 4', xText, (t) => t.includes('4×10'), {}, (t) => t);
  });

  test('Train (SGD) and Plot Loss Landscape from the palette switch the dashboard to their tab', async () => {
    const { document: doc } = await openExample('two-layer-net.grad');
    const shown = () => (api as unknown as { dashboardShownTask(): string | null }).dashboardShownTask();
    await vscode.commands.executeCommand('gradlens.trainSGD', doc.uri, { steps: 5, lr: 0.1, momentum: 0 });
    assert.equal(shown(), 'training');
    await vscode.commands.executeCommand('gradlens.plotLandscape', doc.uri, 5, 1);
    assert.equal(shown(), 'landscape');
  });

  test('a net with dead ReLUs gets one note per layer, not one per unit', async () => {
    const uri = exampleUri('dead-relu-layers.grad');
    // h1's ten units are all dead (bias -100), and so are h2's (their input is all zeros).
    writeFileSync(uri.fsPath, 'seed 0\ndims N = 8, D = 6, H = 10\ninput X: [N, D]\nparam W1: [D, H] ~ he\nparam b1: [H] = -100\nparam W2: [H, H] ~ he\nparam b2: [H] = 0\nh1 = relu(X @ W1 + b1)\nh2 = relu(h1 @ W2 + b2)\nloss = sum(h2)\n');
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: false });
    const list = await waitForDiagnostics(uri, 'the dead-relu notes', (l) => l.some((d) => codeOf(d) === 'dead-relu'), { timeoutMs: 60_000 });
    const notes = list.filter((d) => codeOf(d) === 'dead-relu');
    assert.deepEqual(notes.map((d) => d.range.start.line), [7, 8], 'one note on each relu line');
    assert.ok(notes.every((d) => d.severity === vscode.DiagnosticSeverity.Warning && /^10 of 10 units/.test(d.message)));
  });

  test("a diagnostic code's link opens the rendered troubleshooting section (the Markdown preview at its heading)", async () => {
    const uri = exampleUri('typo-name.grad');
    writeFileSync(uri.fsPath, 'input x = 2\ny = x * z\n');
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: false });
    const list = await waitForDiagnostics(uri, 'undefined-name', (l) => l.some((d) => codeOf(d) === 'undefined-name'), { timeoutMs: 60_000 });
    const code = list.find((d) => codeOf(d) === 'undefined-name')?.code;
    assert.ok(typeof code === 'object' && code.target.scheme === 'command', `a command link: ${JSON.stringify(code)}`);
    assert.equal(code.target.path, 'gradlens.openTroubleshooting');
    const [file, anchor] = JSON.parse(decodeURIComponent(code.target.query)) as [string, string];
    assert.match(file, /docs\/troubleshooting\.md$/);
    assert.equal(anchor, 'undefined-name');
    const how = await vscode.commands.executeCommand<string>('gradlens.openTroubleshooting', file, anchor);
    assert.equal(how, 'preview');
    await waitFor(
      'the Markdown preview of troubleshooting.md',
      () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).map((t) => t.label),
      (labels) => labels.some((l) => /Preview troubleshooting\.md/.test(l)),
      {},
      (l) => l.join(', '),
    );
  });

  test('a typo\'d `b` with b1 declared suggests b1 first, and its quick fix applies', async () => {
    const editor = await openExample('two-layer-net.grad');
    const doc = editor.document;
    const line = doc.getText().split('\n').findIndex((l) => l.includes('relu(X @ W1 + b1)'));
    const at = doc.lineAt(line).text.indexOf('+ b1') + 2;
    assert.ok(await editor.edit((e) => e.replace(new vscode.Range(line, at, line, at + 2), 'b')));
    const list = await waitForDiagnostics(doc.uri, 'undefined-name for b', (l) => l.some((d) => codeOf(d) === 'undefined-name'), { timeoutMs: 60_000 });
    const d = list.find((x) => codeOf(x) === 'undefined-name');
    assert.ok(d);
    assert.match(d.message, /`b` is not defined; did you mean `b1`\?/);
    const actions = await waitFor(
      'the quick fix "Change to `b1`"',
      () => vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, d.range, vscode.CodeActionKind.QuickFix.value),
      (a) => (a ?? []).some((x) => x.title === 'Change to `b1`'),
      {},
      (a) => (a ?? []).map((x) => x.title).join('; ') || 'no actions',
    );
    const fix = actions.find((x) => x.title === 'Change to `b1`');
    assert.ok(fix?.edit);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.match(doc.lineAt(line).text, /relu\(X @ W1 \+ b1\)/);
    await waitForDiagnostics(doc.uri, 'no errors after the fix', (l) => l.every((x) => x.severity !== vscode.DiagnosticSeverity.Error), { timeoutMs: 60_000 });
  });
});
