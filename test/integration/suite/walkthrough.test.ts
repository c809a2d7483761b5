// The tutorial: the walkthrough opens, and every step's example opens (as an untitled copy, the
// way the step's link opens it) and analyses without an error.
import * as assert from 'node:assert/strict';
import { suite, suiteSetup, teardown, test } from 'mocha';
import * as vscode from 'vscode';
import { activateExtension, closeAllEditors, describeDiagnostics, EXTENSION_ID, type GradLensApi } from './helpers';

interface Step {
  id: string;
  title: string;
  description: string;
}

function steps(): Step[] {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  const w = (ext?.packageJSON.contributes.walkthroughs as { steps: Step[] }[] | undefined)?.[0];
  assert.ok(w, 'the extension contributes a walkthrough');
  return w.steps;
}

/** The example a step's link opens or debugs: command:gradlens.newFromExample?["file.grad"] (or debugExample). */
function exampleOf(step: Step): string {
  const m = /command:gradlens\.(?:newFromExample|debugExample)\?([^)\s]+)/.exec(step.description);
  assert.ok(m, `step ${step.id} has no link to an example`);
  const [file] = JSON.parse(decodeURIComponent(m[1])) as string[];
  return file;
}

suite('tutorial walkthrough', () => {
  let api: GradLensApi;

  suiteSetup(async () => {
    api = await activateExtension();
  });

  teardown(closeAllEditors);

  test('"GradLens: Open Tutorial" opens the walkthrough', async () => {
    await vscode.commands.executeCommand('gradlens.openTutorial');
    const labels = vscode.window.tabGroups.all.flatMap((g) => g.tabs).map((t) => t.label);
    assert.ok(labels.some((l) => /Walkthrough|Welcome|Learn backpropagation/i.test(l)), `tabs: ${labels.join(', ')}`);
  });

  test('the walkthrough covers the lecture material, one example per step', () => {
    const titles = steps().map((s) => s.title).join(' | ');
    for (const topic of ['circuit', 'max routes', 'sigmoid neuron', 'Dimension analysis', 'Softmax and SVM', 'two-layer', 'initialisation', 'Dropout', 'Convolution and pooling', 'through time', 'Gradient checking']) {
      assert.ok(titles.toLowerCase().includes(topic.toLowerCase()), `no step about ${topic}: ${titles}`);
    }
  });

  for (const step of steps()) {
    test(`step "${step.title}": its example opens and analyses cleanly`, async () => {
      const file = exampleOf(step);
      const doc = await vscode.commands.executeCommand<vscode.TextDocument>('gradlens.newFromExample', file);
      assert.equal(doc.languageId, 'grad');
      const r = await api.service.analyzeNow(doc);
      const errors = r.analysis.diagnostics.filter((d) => d.severity === 'error' || d.severity === 'warning');
      assert.deepEqual(errors, [], `${file}: ${describeDiagnostics(vscode.languages.getDiagnostics(doc.uri))}`);
    });
  }
});
