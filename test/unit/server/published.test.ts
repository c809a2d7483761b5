// What reaches the client between a keystroke and its values: a shapes phase whose diagnostics are
// those of the previous shapes phase sends none (it would clear what a run found — a health note,
// a failed check — until the values phase brings it back); unchanged inlay hints wait until the
// values are out (the client lays every hint out again even when they are the same).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { DocumentAnalyses } from '../../../src/server/documentAnalyses';
import type { ServerContext } from '../../../src/server/context';
import { publishAnalyses } from '../../../src/server/features/published';
import { HINTS_AFTER_VALUES_MS, registerInlayHints } from '../../../src/server/features/inlayHints';
import { settingsFrom } from '../../../src/server/settings';
import { doc, fakeWorker, tick } from '../helpers/fakeAnalysisWorker';

const URI = 'file:///dead.grad';
// Every unit of the relu is dead: the values phase has a note the shapes phase cannot have.
const NET = 'dims N = 4, D = 3\ninput x: [N, D] ~ randn\nparam W: [D, D] ~ randn\nh = relu(x @ W - 100)\nloss = sum(h * h)\n';

type InlayHandler = (p: { textDocument: { uri: string }; range: unknown }) => Promise<{ label: string }[]>;

/** A server context with a fake connection that records what is sent, in order. */
function harness() {
  const { worker, calls } = fakeWorker();
  const analyses = new DocumentAnalyses(worker, () => settingsFrom({ debounceMs: 0 }), () => undefined);
  const sent: string[] = [];
  const texts = new Map<string, TextDocument>();
  let inlay: InlayHandler | undefined;
  const connection = {
    sendNotification: (type: { method: string }) => {
      sent.push(type.method);
      return Promise.resolve();
    },
    sendDiagnostics: (p: { diagnostics: { code?: unknown }[] }) => {
      sent.push(`diagnostics[${p.diagnostics.map((d) => String(d.code)).join(',')}]`);
      return Promise.resolve();
    },
    sendRequest: () => Promise.resolve(),
    languages: { inlayHint: { on: (h: InlayHandler) => (inlay = h), resolve: () => undefined } },
  };
  const ctx = {
    connection,
    documents: { get: (uri: string) => texts.get(uri) },
    analyses,
    worker,
    settings: () => settingsFrom({}),
    client: { codeLensRefresh: false, inlayHintRefresh: false, workDoneProgress: false, configuration: false, markdown: false },
    log: () => undefined,
    docsUri: 'file:///docs/troubleshooting.md',
  } as unknown as ServerContext;
  const hints = registerInlayHints(ctx);
  publishAnalyses(ctx, [hints]);
  const edit = (text: string, version: number) => {
    texts.set(URI, TextDocument.create(URI, 'grad', version, text));
    if (version === 1) analyses.opened(doc(text, version, URI));
    else analyses.changed(doc(text, version, URI));
  };
  const askHints = () => (inlay as InlayHandler)({ textDocument: { uri: URI }, range: { start: { line: 0, character: 0 }, end: { line: 99, character: 0 } } });
  /** A keystroke whose run has reached its shapes phase (the run is the latest call). */
  const typedToShapes = async (text: string, version: number) => {
    edit(text, version);
    await tick(5);
    calls[calls.length - 1].early('shapes');
    await tick(5);
  };
  /** The first text, opened and analysed through its shapes phase to the end. */
  const openAnalysed = async () => {
    await typedToShapes(NET, 1);
    calls[0].finish();
    await tick(5);
  };
  return { analyses, calls, sent, edit, askHints, typedToShapes, openAnalysed };
}

test('a shapes phase with the previous shapes phase\'s diagnostics sends none: the notes of the last run stay until the values phase replaces them', async () => {
  const { analyses, calls, sent, typedToShapes, openAnalysed } = harness();
  await openAnalysed();
  assert.deepEqual(sent, ['diagnostics[]', 'gradlens/didAnalyze', 'diagnostics[dead-relu]'], 'the first text: its shapes phase, then the run');
  sent.length = 0;
  // A keystroke that changes no parse or shape error (the constant).
  await typedToShapes(NET.replace('- 100', '- 200'), 2);
  assert.deepEqual(sent, [], 'the dead-relu note is not cleared by the shapes phase');
  calls[1].finish();
  await tick(5);
  assert.deepEqual(sent, ['gradlens/didAnalyze', 'diagnostics[dead-relu]']);
  sent.length = 0;
  // A shape error appears: its shapes phase sends it at once.
  await typedToShapes(NET.replace('x @ W', 'x @ W @ x'), 3);
  assert.equal(sent.length, 1);
  assert.match(sent[0], /^diagnostics\[.+\]$/);
  assert.notEqual(sent[0], 'diagnostics[dead-relu]');
  analyses.dispose();
});

test('inlay hints: new hints answer from the shapes phase; the same hints wait for the values phase and a few frames more', async () => {
  const { analyses, calls, sent, edit, askHints } = harness();
  edit(NET, 1);
  await tick(5);
  const first = askHints();
  calls[0].early('shapes');
  const labels = (await first).map((h) => h.label);
  assert.ok(labels.length > 0, 'hints from the shapes phase, before any values');
  calls[0].finish();
  await tick(5);
  // A keystroke that leaves every shape as it was.
  edit(NET.replace('- 100', '- 200'), 2);
  await tick(5);
  let answered: number | null = null;
  const again = askHints().then((h) => {
    answered = Date.now();
    return h;
  });
  calls[1].early('shapes');
  await tick(20);
  assert.equal(answered, null, 'the same hints do not answer from the shapes phase');
  sent.length = 0;
  calls[1].early('values');
  const valuesAt = Date.now();
  assert.deepEqual((await again).map((h) => h.label), labels);
  assert.deepEqual(sent.slice(0, 1), ['gradlens/didAnalyze'], 'the values went out first');
  assert.ok((answered as unknown as number) - valuesAt >= HINTS_AFTER_VALUES_MS - 5, `answered ${(answered as unknown as number) - valuesAt} ms after the values`);
  calls[1].finish();
  await tick(5);
  // A keystroke that changes a shape: its hints answer from its shapes phase.
  edit(NET.replace('param W: [D, D]', 'param W: [D, N]'), 3);
  await tick(5);
  const changed = askHints();
  calls[2].early('shapes');
  const settled = await Promise.race([changed.then(() => true), tick(20).then(() => false)]);
  assert.equal(settled, true, 'new hints do not wait for the values');
  analyses.dispose();
});

test('a shapes phase not sent is sent after all when its run fails: the last run\'s notes do not stay for good', async () => {
  const { analyses, calls, sent, typedToShapes, openAnalysed } = harness();
  await openAnalysed();
  sent.length = 0;
  await typedToShapes(NET.replace('- 100', '- 200'), 2);
  assert.deepEqual(sent, [], 'not sent while the run may still bring its own list');
  calls[1].fail(new Error('the worker crashed'));
  await tick(5);
  assert.deepEqual(sent, ['diagnostics[]'], 'the failed text\'s own (shapes) list replaces the older notes');
  analyses.dispose();
});

test('a shapes phase is compared with the list the client holds: after a text published without a shapes phase it is sent', async () => {
  const { analyses, calls, sent, edit, typedToShapes, openAnalysed } = harness();
  await openAnalysed();
  // Version 2 comes without a shapes phase (as from the values lane, a cached result, or with the checks off).
  edit(NET.replace('- 100', '- 200'), 2);
  await tick(5);
  calls[1].finish();
  await tick(5);
  sent.length = 0;
  await typedToShapes(NET.replace('- 100', '- 300'), 3);
  assert.deepEqual(sent, ['diagnostics[]'], 'the client\'s list is of a text whose shapes phase the server did not see: sent');
  analyses.dispose();
});

test('a repeated hints request for a text whose values are out answers at once', async () => {
  const { analyses, calls, edit, askHints } = harness();
  edit(NET, 1);
  await tick(5);
  const first = askHints();
  calls[0].early('shapes');
  await first;
  calls[0].finish();
  await tick(5);
  // The same version again (a scroll, a second editor): the same hints, nothing to wait for.
  const again = await Promise.race([askHints().then((h) => h.length), tick(30).then(() => -1)]);
  assert.ok(again > 0, 'answered within a few ms, not after the values wait');
  analyses.dispose();
});
