// Issue 15, item 5: what a dashboard is posted per analysis is bounded whatever the file (the slim
// model), and a tensor's histograms and values come on request from the same analysis.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/core/analyze';
import { jsonSafeAnalysis } from '../../src/core/jsonSafe';
import { DEFAULT_THRESHOLDS } from '../../src/core/defaults';
import { DASHBOARD_LIMITS, numbersShipped, tensorDetail } from '../../src/shared/dashboardModel';
import { dashboardUpdate, parseFromWebview } from '../../src/shared/webviewProtocol';
import { parseToWebview } from '../../webview/messages';
import { analyzeOptions, settingsFrom } from '../../src/server/settings';

const ROOT = join(__dirname, '..', '..');
const editorOptions = analyzeOptions(settingsFrom({}));

function posted(text: string) {
  // As the extension host receives it from the language server.
  const full = jsonSafeAnalysis(analyze(text, editorOptions));
  const msg = dashboardUpdate('file:///x.grad', 1, full, DEFAULT_THRESHOLDS);
  assert.equal(msg.type, 'update');
  return { full, msg, bytes: JSON.stringify(msg).length, analysis: msg.type === 'update' ? msg.state.analysis : null };
}

test('a 100,000-line file posts a bounded model: at most the listed statements, no histograms, scalars only', () => {
  const text = `input x0 = 1\n${Array.from({ length: 99_999 }, (_, i) => `x${i + 1} = x${i} * 1.00001 + ${i % 7}`).join('\n')}\n`;
  const { full, bytes, analysis } = posted(text);
  assert.ok(analysis);
  // The statement cap is what the full analysis stops at (with a too-large diagnostic).
  assert.ok(full.diagnostics.some((d) => d.code === 'too-large' && /statements/.test(d.message)));
  assert.equal(analysis.nodes.length, DASHBOARD_LIMITS.nodes);
  assert.equal(analysis.omittedNodes, full.nodes.length - DASHBOARD_LIMITS.nodes);
  assert.equal(analysis.nodes[0].name, 'x0', 'the input is listed');
  assert.ok(analysis.root === null || analysis.nodes.some((n) => n.name === analysis.root));
  // Before: 10.6 MB and 660,000 numbers per keystroke for this file.
  assert.ok(bytes < 1_000_000, `${bytes} bytes posted`);
  assert.ok(numbersShipped(analysis) <= 2 * DASHBOARD_LIMITS.nodes, `${numbersShipped(analysis)} numbers`);
  assert.ok(parseToWebview(JSON.parse(JSON.stringify(dashboardUpdate('file:///x.grad', 1, full, DEFAULT_THRESHOLDS)))), 'the webview accepts it');
});

test('600 parameters of 3,600 entries: no tensor array and no histogram is posted; every tensor is fetched whole', () => {
  const n = 600;
  const text = `${Array.from({ length: n }, (_, i) => `param W${i}: [60, 60] ~ randn`).join('\n')}\nloss = ${Array.from({ length: n }, (_, i) => `sum(W${i} * W${i})`).join(' + ')}\n`;
  const { full, bytes, analysis } = posted(text);
  assert.ok(analysis);
  assert.equal(analysis.omittedNodes, 0);
  assert.ok(analysis.nodes.every((x) => (x.shape.length === 0 ? true : x.value === null && x.grad === null)));
  assert.ok(analysis.nodes.every((x) => (x.valueStats?.histogram.length ?? 0) === 0 && (x.gradStats?.histogram.length ?? 0) === 0));
  assert.ok(bytes < 600_000, `${bytes} bytes posted (the full analysis: ${JSON.stringify(full).length})`);
  const kept = full.nodes.find((x) => x.value !== null && x.shape.length === 2);
  assert.ok(kept, 'the editor analysis kept some tensor');
  const d = tensorDetail(full, kept.name);
  assert.deepEqual(d?.value, kept.value);
  assert.deepEqual(d?.valueStats?.histogram, kept.valueStats?.histogram);
  assert.equal(d?.count, 3600);
});

test('the two-layer net: the header still gets the root value, histograms come with the tensor', () => {
  const { full, bytes, analysis } = posted(readFileSync(join(ROOT, 'examples', 'two-layer-net.grad'), 'utf8'));
  assert.ok(analysis && full.root);
  const root = analysis.nodes.find((x) => x.name === full.root);
  assert.deepEqual(root?.value, full.nodes.find((x) => x.name === full.root)?.value);
  assert.equal(numbersShipped(analysis), analysis.nodes.filter((x) => x.value !== null).length + analysis.nodes.filter((x) => x.grad !== null).length);
  assert.ok(bytes < JSON.stringify(full).length);
  const w1 = tensorDetail(full, 'W1');
  assert.equal(w1?.valueStats?.histogram.length, 16);
  assert.equal(tensorDetail(full, 'nope'), null);
});

test('a tensor request is validated like every webview message; a reply is validated by the page', () => {
  assert.deepEqual(parseFromWebview({ type: 'tensor', name: 'W1' }), { type: 'tensor', name: 'W1' });
  for (const bad of [{ type: 'tensor' }, { type: 'tensor', name: '' }, { type: 'tensor', name: 'a b' }, { type: 'tensor', name: 'x'.repeat(201) }, { type: 'tensor', name: 3 }]) assert.equal(parseFromWebview(bad), null);
  const stats = { count: 1, min: 0, max: 0, mean: 0, norm: 0, zeros: 1, nonFinite: 0, histogram: [1] };
  const ok = { type: 'tensor', uri: 'file:///x.grad', version: 1, name: 'W', detail: { name: 'W', shape: [1], count: 1, value: [0], grad: null, valueStats: stats, gradStats: null } };
  assert.ok(parseToWebview(ok));
  assert.ok(parseToWebview({ ...ok, detail: null }));
  assert.equal(parseToWebview({ ...ok, detail: { ...ok.detail, name: 'other' } }), null);
  assert.equal(parseToWebview({ ...ok, detail: { ...ok.detail, value: 'x' } }), null);
  assert.equal(parseToWebview({ ...ok, detail: { ...ok.detail, valueStats: { histogram: 'x' } } }), null);
});

test('from the core\'s own analysis (Float64Array entries) the webview is still posted plain numbers', () => {
  const core = analyze(readFileSync(join(ROOT, 'examples', 'two-layer-net.grad'), 'utf8'), editorOptions);
  assert.ok(core.nodes.some((n) => n.value instanceof Float64Array), 'the core keeps typed arrays');
  const msg = dashboardUpdate('file:///x.grad', 1, core, DEFAULT_THRESHOLDS);
  assert.equal(msg.type, 'update');
  const posted = msg.type === 'update' ? msg.state.analysis : null;
  assert.ok(posted && posted.nodes.every((n) => (n.value === null || Array.isArray(n.value)) && (n.grad === null || Array.isArray(n.grad))));
  const w1 = tensorDetail(core, 'W1');
  assert.ok(w1 && Array.isArray(w1.value) && Array.isArray(w1.grad));
  assert.deepEqual(w1.value, Array.from(core.nodes.find((n) => n.name === 'W1')?.value ?? []).slice(0, DASHBOARD_LIMITS.valuesPerTensor));
});

test('jsonSafeAnalysis: typed entries become plain numbers, once; an analysis already plain is returned as it is', () => {
  const core = analyze(readFileSync(join(ROOT, 'examples', 'circuit.grad'), 'utf8'), editorOptions);
  const safe = jsonSafeAnalysis(core);
  assert.notEqual(safe, core);
  assert.ok(safe.nodes.every((n) => (n.value === null || Array.isArray(n.value)) && (n.grad === null || Array.isArray(n.grad))));
  assert.deepEqual(JSON.parse(JSON.stringify(safe)).nodes.map((n: { value: number[] | null }) => n.value), core.nodes.map((n) => (n.value ? Array.from(n.value) : null)));
  assert.equal(jsonSafeAnalysis(core), safe, 'a second request for the same analysis converts nothing again');
  assert.equal(jsonSafeAnalysis(safe), safe);
});
