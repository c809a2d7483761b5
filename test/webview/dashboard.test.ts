// The dashboard webview in a real Chromium (Debian's, driven by playwright-core), served with the
// extension's own HTML and CSP, fed with real analyses of the examples.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { analyze } from '../../src/core/analyze';
import { debugFollowState, recordTrace, TraceCursor } from '../../src/core/debug';
import type { Analysis } from '../../src/core/model';
import type { DebugView, FromWebview, ToWebview } from '../../src/shared/webviewProtocol';
import { analysisOf, deepNet, example, landscapeOf, launchBrowser, openDashboard, ROOT, startServer, trainingOf, update, type Dashboard, type DashboardServer } from './harness';
import type { ThemeName } from './themes';
import { GRAPH_READABILITY_JS, type GraphReadability } from '../e2e/graphReadability';

const SHOTS = join(ROOT, 'test-results', 'screenshots');
const EVIL = '<img src=x onerror="window.__pwned=1;alert(1)">';

let browser: Browser;
let server: DashboardServer;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** No CSP violation, no console error, no dialog: checked at the end of every test. */
async function assertClean(d: Dashboard): Promise<void> {
  assert.deepEqual(await d.violations(), [], 'CSP violations');
  assert.deepEqual(d.consoleErrors, [], 'console errors');
  assert.deepEqual(d.dialogs, [], 'dialogs');
}

interface EdgeLabels {
  from: string;
  to: string;
  value: string;
  grad: string;
}

async function edgeLabels(d: Dashboard, a: Analysis): Promise<EdgeLabels[]> {
  const names = new Map((a.graphView?.nodes ?? []).map((n) => [n.id, n.name ?? n.label]));
  const raw = await d.page.$$eval('g.edge', (gs) =>
    gs.map((g) => ({
      from: (g as SVGGElement).dataset.from ?? '',
      to: (g as SVGGElement).dataset.to ?? '',
      value: g.querySelector('.edge-value')?.textContent ?? '',
      grad: g.querySelector('.edge-grad')?.textContent ?? '',
    })),
  );
  return raw.map((e) => ({ ...e, from: names.get(e.from) ?? e.from, to: names.get(e.to) ?? e.to }));
}

async function lastPosted(d: Dashboard, type: FromWebview['type']): Promise<FromWebview | undefined> {
  return (await d.posted()).filter((m) => m.type === type).pop();
}

async function chartPoints(d: Dashboard, id: string): Promise<number> {
  return d.page.$eval(`[data-chart="${id}"] canvas`, (c) => Number((c as HTMLCanvasElement).dataset.points ?? '0'));
}

async function zoom(d: Dashboard): Promise<number> {
  const t = await d.page.$eval('g.graph-layer', (g) => g.getAttribute('transform') ?? '');
  return Number(/scale\(([\d.]+)\)/.exec(t)?.[1] ?? NaN);
}

/** Label sizes and places in the graph panel as drawn (test/e2e/graphReadability.ts). */
async function readability(d: Dashboard): Promise<GraphReadability> {
  const r = await d.page.evaluate<GraphReadability | null>(GRAPH_READABILITY_JS);
  assert.ok(r, 'a graph is drawn');
  return r;
}

describe('dashboard webview', () => {
  it('posts ready, shows the empty state, and the lecture circuit with its numbers on the right edges', async () => {
    const d = await openDashboard(browser, server);
    assert.deepEqual((await d.posted())[0], { type: 'ready' });
    await d.send({ type: 'empty', reason: 'No .grad editor is active.' });
    const empty = await d.page.textContent('.page-message');
    assert.match(empty ?? '', /Open a \.grad file/);
    assert.match(empty ?? '', /No \.grad editor is active\./);
    await d.page.screenshot({ path: join(SHOTS, 'webview-empty-dark.png') });

    const a = analysisOf('circuit.grad');
    await d.send(update(a, 'file:///work/examples/circuit.grad'));
    const edges = await edgeLabels(d, a);
    const edge = (from: string, to: string) => edges.find((e) => e.from === from && e.to === to);
    // cs231n: x = -2, y = 5, z = -4; q = x + y = 3; f = q z = -12; ∂f/∂x = ∂f/∂y = -4, ∂f/∂z = 3, ∂f/∂q = -4.
    assert.deepEqual(edge('x', 'q'), { from: 'x', to: 'q', value: '-2', grad: '-4' });
    assert.deepEqual(edge('y', 'q'), { from: 'y', to: 'q', value: '5', grad: '-4' });
    assert.deepEqual(edge('z', 'f'), { from: 'z', to: 'f', value: '-4', grad: '3' });
    assert.deepEqual(edge('q', 'f'), { from: 'q', to: 'f', value: '3', grad: '-4' });
    assert.deepEqual(edge('root', 'root'), undefined);
    const stub = await d.page.$eval('g.edge.stub', (g) => [g.querySelector('.edge-value')?.textContent, g.querySelector('.edge-grad')?.textContent]);
    assert.deepEqual(stub, ['-12', '1']);
    // Value above the edge, gradient below it, in the theme's green and red.
    const colours = await d.page.$eval('g.edge[data-from="n0"]', (g) => {
      const v = g.querySelector('.edge-value') as SVGTextElement;
      const gr = g.querySelector('.edge-grad') as SVGTextElement;
      return { above: v.getBBox().y + v.getBBox().height <= gr.getBBox().y, value: getComputedStyle(v).fill, grad: getComputedStyle(gr).fill };
    });
    assert.deepEqual(colours, { above: true, value: 'rgb(137, 209, 133)', grad: 'rgb(241, 76, 76)' });
    assert.match((await d.page.textContent('.header')) ?? '', /f = -12/);
    await assertClean(d);
    await d.close();
  });

  it('clicking a node (or Enter on it) posts reveal with its range; hover shows its stats', async () => {
    const d = await openDashboard(browser, server);
    const a = analysisOf('circuit.grad');
    await d.send(update(a));
    const q = a.graphView?.nodes.find((n) => n.name === 'q');
    assert.ok(q);
    await d.page.click(`g.node[data-id="${q.id}"]`);
    assert.deepEqual(await lastPosted(d, 'reveal'), { type: 'reveal', range: q.range });
    const tip = await d.page.textContent('#graph-tooltip');
    assert.match(tip ?? '', /q = \+/);
    assert.match(tip ?? '', /value\s*3/);
    assert.match(tip ?? '', /gradient\s*-4/);

    const z = a.graphView?.nodes.find((n) => n.name === 'z');
    assert.ok(z);
    await d.page.focus(`g.node[data-id="${z.id}"]`);
    await d.page.keyboard.press('Enter');
    assert.deepEqual(await lastPosted(d, 'reveal'), { type: 'reveal', range: z.range });
    // Nodes are in the Tab order.
    assert.equal(await d.page.$$eval('g.node', (gs) => gs.every((g) => g.getAttribute('tabindex') === '0')), true);
    await assertClean(d);
    await d.close();
  });

  it('zooms with keys, buttons and the wheel, pans with arrows and dragging, fits with 0', async () => {
    const d = await openDashboard(browser, server);
    await d.send(update(analysisOf('two-layer-net.grad')));
    const k0 = await zoom(d);
    await d.page.focus('svg.graph-svg');
    await d.page.keyboard.press('+');
    assert.ok((await zoom(d)) > k0 * 1.2, 'zoomed in by +');
    await d.page.keyboard.press('-');
    await d.page.keyboard.press('-');
    assert.ok((await zoom(d)) < k0, 'zoomed out by −');
    await d.page.keyboard.press('0');
    // 0 fits: the whole graph is in view (the view may have opened larger, at the readable size).
    const whole = await d.page.evaluate(() => {
      const svg = document.querySelector('svg.graph-svg')?.getBoundingClientRect();
      const g = document.querySelector('g.graph-layer g.nodes')?.getBoundingClientRect();
      return !!svg && !!g && g.left >= svg.left - 1 && g.right <= svg.right + 1 && g.top >= svg.top - 1 && g.bottom <= svg.bottom + 1;
    });
    assert.ok(whole, '0 fits the whole graph');
    const kFit = await zoom(d);
    assert.ok(kFit <= k0 + 1e-3, '0 never magnifies a view that opened at the readable size');
    await d.page.click('button[title^="Zoom in"]');
    const kIn = await zoom(d);
    assert.ok(kIn > kFit);
    const box = await d.page.$eval('svg.graph-svg', (s) => s.getBoundingClientRect().toJSON() as DOMRect);
    await d.page.mouse.move(box.x + 20, box.y + 20);
    await d.page.mouse.wheel(0, 400);
    const k1 = await zoom(d);
    assert.ok(k1 < kIn, 'wheel zooms out');
    const before = await d.page.$eval('g.graph-layer', (g) => g.getAttribute('transform'));
    await d.page.focus('svg.graph-svg');
    await d.page.keyboard.press('ArrowLeft');
    assert.notEqual(await d.page.$eval('g.graph-layer', (g) => g.getAttribute('transform')), before);
    await d.page.mouse.move(box.x + 10, box.y + 10);
    await d.page.mouse.down();
    await d.page.mouse.move(box.x + 200, box.y + 100, { steps: 5 });
    await d.page.mouse.up();
    const t = await d.page.$eval('g.graph-layer', (g) => g.getAttribute('transform') ?? '');
    assert.notEqual(t, before);
    assert.equal((await d.posted()).some((m) => m.type === 'reveal'), false, 'a drag is not a click');
    await assertClean(d);
    await d.close();
  });

  it('highlights the failing gate `difference` of broken/wrong-sign.grad with its problem', async () => {
    const d = await openDashboard(browser, server);
    const a = analysisOf('broken/wrong-sign.grad');
    await d.send(update(a, 'file:///work/examples/broken/wrong-sign.grad'));
    const gate = a.graphView?.nodes.find((n) => n.kind === 'gate' && n.label === 'difference');
    assert.ok(gate);
    const g = `g.node[data-id="${gate.id}"]`;
    assert.match((await d.page.getAttribute(g, 'class')) ?? '', /status-error/);
    const stroke = await d.page.$eval(`${g} .node-shape`, (el) => getComputedStyle(el).stroke);
    assert.equal(stroke, 'rgb(248, 81, 73)', 'errorForeground border');
    assert.match((await d.page.getAttribute(g, 'aria-label')) ?? '', /error: gradient check of difference\.db failed/);
    await d.page.hover(g);
    assert.match((await d.page.textContent('#graph-tooltip')) ?? '', /gradient check of difference\.db failed/);
    // The errors are listed with what to do, and each reveals its line.
    assert.match((await d.page.textContent('.problems')) ?? '', /gradient check failed for `db` of `difference`/);
    await d.page.screenshot({ path: join(SHOTS, 'webview-broken-wrong-sign-dark.png') });
    await d.page.click('.problem-link >> nth=1');
    assert.equal((await lastPosted(d, 'reveal'))?.type, 'reveal');
    // The check chart and table show the failure.
    await d.tab('checks');
    assert.ok((await chartPoints(d, 'gradcheck')) >= 4);
    await d.page.selectOption('#check-target', 'difference.db');
    assert.match((await d.page.textContent('.data-table caption')) ?? '', /difference\.db: FAIL/);
    assert.ok((await d.page.$$eval('.data-table tbody tr.bad', (r) => r.length)) > 0, 'entries off by more than warn are marked');
    // The rows marked off follow the thresholds the checks ran with (the setting), not the defaults.
    await d.send(update(a, 'file:///work/examples/broken/wrong-sign.grad', 2, { fail: 1, warn: 1, kinked: 1 }));
    await d.page.selectOption('#check-target', 'difference.db');
    assert.equal(await d.page.$$eval('.data-table tbody tr.bad', (r) => r.length), 0);
    await assertClean(d);
    await d.close();
  });

  it('is sent a slim model: the histograms and first values of the tensor it shows are fetched, once, from the analysis shown', async () => {
    const d = await openDashboard(browser, server);
    const a = analysisOf('two-layer-net.grad');
    d.answerTensors = false;
    await d.send(update(a));
    await d.tab('gradients');
    const first = d.tensorRequests.at(-1);
    assert.ok(first, 'the chosen tensor was asked for');
    assert.equal(await chartPoints(d, 'hist-values'), 0, 'no histogram before the tensor came');
    d.answerTensors = true;
    const pick = first === 'W1' ? 'W2' : 'W1';
    await d.page.selectOption('#hist-node', pick);
    await d.page.waitForFunction(() => (document.getElementById('tensor-entries')?.textContent ?? '').includes('value'));
    assert.equal(await chartPoints(d, 'hist-values'), 16);
    const w = a.nodes.find((n) => n.name === pick);
    assert.match((await d.page.textContent('#tensor-entries')) ?? '', new RegExp(`\\(${w?.value?.length} entries\\)`));
    // Shown again: no second request for the same tensor of the same analysis.
    const asked = d.tensorRequests.filter((n) => n === pick).length;
    await d.tab('graph');
    await d.tab('gradients');
    assert.equal(d.tensorRequests.filter((n) => n === pick).length, asked);
    // A reply about an older analysis is dropped.
    await d.send(update(a, 'file:///work/example.grad', 2));
    await d.page.waitForFunction(() => (document.getElementById('tensor-entries')?.textContent ?? '').includes('value'));
    await d.send({ type: 'tensor', uri: 'file:///work/example.grad', version: 1, name: pick, detail: null });
    assert.equal(await chartPoints(d, 'hist-values'), 16);
    await assertClean(d);
    await d.close();
  });

  it('says how many statements a long file has beyond those listed', async () => {
    const d = await openDashboard(browser, server);
    const lines = ['input x0 = 1', ...Array.from({ length: 1500 }, (_, i) => `x${i + 1} = x${i} * 1.001`), 'loss = x1500 * x1500'];
    const a = analyze(lines.join('\n'));
    await d.send(update(a));
    await d.tab('gradients');
    assert.match((await d.page.textContent('#omitted-nodes')) ?? '', /^502 more statements are not listed: the dashboard lists 1000/);
    assert.equal(await d.page.$$eval('#hist-node option', (o) => o.length), 1000);
    await assertClean(d);
    await d.close();
  });

  it('renders every chart with data for the two-layer net (canvas pixels and data points)', async () => {
    const d = await openDashboard(browser, server);
    const a = analysisOf('two-layer-net.grad');
    await d.send(update(a));
    await d.tab('gradients');
    for (const id of ['grad-norms', 'hist-values', 'hist-grads']) {
      assert.ok((await chartPoints(d, id)) > 0, `${id} has data`);
      assert.ok((await d.inkedPixels(`[data-chart="${id}"] canvas`)) > 500, `${id} is drawn`);
    }
    assert.equal(await chartPoints(d, 'grad-norms'), a.nodes.filter((n) => n.gradStats).length);
    // Picking a tensor redraws both histograms from its 16 bins.
    await d.page.selectOption('#hist-node', 'h1');
    assert.equal(await chartPoints(d, 'hist-values'), 16);
    assert.equal(await d.page.isHidden('[data-chart="rnn-steps"]'), true, 'no rnn, no time-step chart');
    await d.tab('checks');
    assert.equal(await chartPoints(d, 'gradcheck'), a.gradchecks.length);
    assert.ok((await d.inkedPixels('[data-chart="gradcheck"] canvas')) > 500);
    assert.equal(await chartPoints(d, 'sweep'), a.sweep?.points.length);
    assert.ok((await d.inkedPixels('[data-chart="sweep"] canvas')) > 500);
    assert.equal(await d.page.$$eval('.data-table tbody tr', (r) => r.length), a.gradchecks.find((c) => c.target === 'X')?.worst.length ?? a.gradchecks[0].worst.length);
    await assertClean(d);
    await d.close();
  });

  it('draws the rnn gradient norm per time step', async () => {
    const d = await openDashboard(browser, server);
    const a = analysisOf('rnn.grad');
    await d.send(update(a));
    await d.tab('gradients');
    const hs = a.nodes.find((n) => n.records?.timestepGradNorms);
    assert.ok(hs);
    assert.equal(await chartPoints(d, 'rnn-steps'), hs.records?.timestepGradNorms.length);
    assert.ok((await d.inkedPixels('[data-chart="rnn-steps"] canvas')) > 300);
    await assertClean(d);
    await d.close();
  });

  it('asks for an h sweep of a chosen entry and draws the reply', async () => {
    const d = await openDashboard(browser, server);
    const a = analysisOf('two-layer-net.grad');
    await d.send(update(a));
    await d.tab('checks');
    await d.page.selectOption('#sweep-target', 'W2');
    await d.page.fill('.index-inputs input >> nth=0', '4');
    await d.page.fill('.index-inputs input >> nth=1', '2');
    await d.page.click('button:text-is("Sweep h")');
    assert.deepEqual(await lastPosted(d, 'sweep'), { type: 'sweep', target: 'W2', index: [4, 2] });
    const points = [1e-1, 1e-3, 1e-5, 1e-7].map((h, i) => ({ h, numeric: 0.5, relError: [1e-3, 1e-7, 1e-9, 1e-6][i] }));
    await d.send({ type: 'sweep', sweep: { target: 'W2', index: [4, 2], analytic: 0.5, points } });
    assert.equal(await chartPoints(d, 'sweep'), 4);
    await d.send({ type: 'sweep', sweep: null });
    assert.match((await d.page.textContent('[data-chart="sweep"]')) ?? '', /No h sweep/);
    await assertClean(d);
    await d.close();
  });

  it('plots the loss landscape: request, progress, cancel, heatmap with the centre', async () => {
    const d = await openDashboard(browser, server);
    await d.send(update(analysisOf('two-layer-net.grad')));
    await d.tab('landscape');
    await d.page.click('text=Plot loss landscape');
    assert.deepEqual(await lastPosted(d, 'runLandscape'), { type: 'runLandscape', grid: 41, span: 1 });
    assert.equal(await d.page.isDisabled('text=Plot loss landscape'), true, 'one at a time');
    await d.send({ type: 'progress', task: 'landscape', done: 400, total: 1681 });
    assert.equal(await d.page.getAttribute('.landscape .progress', 'aria-valuenow'), '24');
    await d.page.click('.landscape .task-status button:text("Cancel")');
    assert.deepEqual(await lastPosted(d, 'cancel'), { type: 'cancel', task: 'landscape' });
    await d.send({ type: 'taskCancelled', task: 'landscape' });
    assert.match((await d.page.textContent('.landscape .task-message')) ?? '', /Cancelled/);
    assert.equal(await d.page.isDisabled('text=Plot loss landscape'), false);

    await d.page.click('text=Plot loss landscape');
    const started = Date.now();
    const result = await landscapeOf('two-layer-net.grad', 41, 1);
    const ms = Date.now() - started;
    await d.send({ type: 'landscape', result });
    assert.equal(await d.page.getAttribute('.heatmap-canvas', 'data-points'), String(41 * 41));
    assert.ok((await d.inkedPixels('.heatmap-canvas')) > 41 * 41 * 4);
    // The centre is ringed in white (viridis has no white): look for white pixels around it.
    const white = await d.page.$eval('.heatmap-canvas', (c) => {
      const canvas = c as HTMLCanvasElement;
      const cell = canvas.width / 41;
      const r = Math.ceil(cell * 2);
      const x0 = Math.round(20.5 * cell) - r;
      const data = canvas.getContext('2d')?.getImageData(x0, x0, 2 * r, 2 * r).data ?? new Uint8ClampedArray();
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] > 230 && data[i + 1] > 230 && data[i + 2] > 230) n++;
      return n;
    });
    assert.ok(white > 10, `white ring pixels around the centre: ${white}`);
    assert.match((await d.page.textContent('.heatmap-readout')) ?? '', /Centre .*L = 2\.713/);
    await d.send({ type: 'taskError', task: 'landscape', message: 'The loss is not finite at the centre.' });
    assert.match((await d.page.textContent('.landscape .task-message')) ?? '', /not finite.*plot again/);
    console.log(`# landscape 41×41 on two-layer-net.grad computed in ${ms} ms (core: ${Math.round(result.ms)} ms)`);
    await assertClean(d);
    await d.close();
  });

  it('trains with SGD live from partial results, cancels, and offers the re-check', async () => {
    const d = await openDashboard(browser, server);
    await d.send(update(analysisOf('two-layer-net.grad')));
    await d.tab('training');
    await d.page.fill('#train-lr', '20');
    assert.equal(await d.page.isDisabled('text=Train (SGD)'), true, 'lr out of range');
    assert.match((await d.page.textContent('.training .controls')) ?? '', /from 1e-8 to 10/);
    await d.page.fill('#train-lr', '0.1');
    await d.page.click('text=Train (SGD)');
    assert.deepEqual(await lastPosted(d, 'runTraining'), { type: 'runTraining', steps: 100, lr: 0.1, momentum: 0.9 });
    await d.page.click('.training .task-status button:text("Cancel")');
    assert.deepEqual(await lastPosted(d, 'cancel'), { type: 'cancel', task: 'training' });
    await d.send({ type: 'taskCancelled', task: 'training' });

    await d.page.click('text=Train (SGD)');
    const started = Date.now();
    const { partials, final } = await trainingOf('two-layer-net.grad', 100, 0.1, 0.9);
    const ms = Date.now() - started;
    for (const p of partials.slice(0, 3)) {
      await d.send({ type: 'progress', task: 'training', done: p.losses.length, total: 100 });
      await d.send({ type: 'training', result: p, final: false });
    }
    if (partials.length) assert.equal(await chartPoints(d, 'train-loss'), partials[Math.min(2, partials.length - 1)].losses.length);
    await d.send({ type: 'training', result: final, final: true });
    assert.equal(await chartPoints(d, 'train-loss'), 100);
    const params = Object.keys(final.gradNorms).length;
    assert.equal(await chartPoints(d, 'train-grads'), 100 * params);
    assert.equal(await chartPoints(d, 'train-ratios'), 100 * params);
    for (const id of ['train-loss', 'train-grads', 'train-ratios']) assert.ok((await d.inkedPixels(`[data-chart="${id}"] canvas`)) > 500, id);
    assert.match((await d.page.textContent('.training .task-message')) ?? '', /100 steps .* loss 2\.713 →/);
    await d.page.click('text=Re-run gradient check');
    assert.deepEqual(await lastPosted(d, 'recheck'), { type: 'recheck' });
    console.log(`# training 100 SGD steps on two-layer-net.grad computed in ${ms} ms (core: ${Math.round(final.ms)} ms)`);
    await assertClean(d);
    await d.close();
  });

  it('shows a malicious node name as text and runs nothing', async () => {
    const d = await openDashboard(browser, server);
    const a = analysisOf('circuit.grad');
    const x = a.graphView?.nodes.find((n) => n.name === 'x');
    assert.ok(x);
    x.name = EVIL;
    x.label = EVIL;
    x.status = 'error';
    x.problem = `${EVIL} is broken`;
    const node = a.nodes.find((n) => n.name === 'x');
    assert.ok(node);
    node.name = EVIL;
    a.gradchecks[0].target = EVIL;
    a.diagnostics.push({ severity: 'error', code: 'gradcheck-failed', message: `bad ${EVIL}`, range: x.range } as Analysis['diagnostics'][number]);
    await d.send(update(a, `file:///tmp/${encodeURIComponent(EVIL)}.grad`));
    assert.equal(await d.page.$$eval('img', (i) => i.length), 0);
    assert.ok(((await d.page.textContent('svg.graph-svg')) ?? '').includes(EVIL), 'the name is shown as text');
    assert.ok(((await d.page.textContent('.problems')) ?? '').includes(`bad ${EVIL}`));
    assert.ok(((await d.page.textContent('.hdr-file')) ?? '').includes(EVIL));
    await d.page.hover(`g.node[data-id="${x.id}"]`);
    assert.ok(((await d.page.textContent('#graph-tooltip')) ?? '').includes(`${EVIL} is broken`));
    await d.tab('gradients');
    assert.ok(((await d.page.textContent('#hist-node')) ?? '').includes(EVIL));
    await d.tab('checks');
    assert.ok(((await d.page.textContent('#check-target')) ?? '').includes(EVIL));
    await d.page.waitForTimeout(200);
    assert.equal(await d.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    await assertClean(d);
    await d.close();
  });

  it('lists the dead units of each layer in the Gradients tab; a row\'s line button reveals it; names stay text', async () => {
    const d = await openDashboard(browser, server);
    const text = [
      'seed 0',
      'dims N = 8, D = 6, H = 10',
      'input X: [N, D]',
      'param W1: [D, H] ~ he',
      'param b1: [H] = [1, -100, 1, -100, 1, 1, -100, 1, 1, -100]',
      'h1 = relu(X @ W1 + b1)',
      'loss = sum(h1)',
    ].join('\n');
    const a = analyze(text, { gradcheck: false });
    const item = a.health?.find((f) => f.kind === 'dead-relu');
    assert.ok(item);
    item.node = EVIL;
    await d.send(update(a));
    await d.tab('gradients');
    const rows = await d.page.$$eval('#health tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0].slice(0, 5), ['info', EVIL, 'dead units', '4 of 10 (40%)', '1, 3, 6, 9']);
    assert.equal(await d.page.$$eval('img', (i) => i.length), 0);
    await d.page.click('#health tbody tr button');
    const reveal = await lastPosted(d, 'reveal');
    assert.deepEqual(reveal, { type: 'reveal', range: item.range });
    // A healthy file says so instead of an empty table.
    await d.send(update(analysisOf('circuit.grad')));
    assert.match((await d.page.textContent('#health')) ?? '', /No findings/);
    await assertClean(d);
    await d.close();
  });

  it('keeps tab, selection and zoom through a reload (getState/setState) and has keyboard tabs', async () => {
    const d = await openDashboard(browser, server);
    const a = analysisOf('circuit.grad');
    await d.send(update(a));
    await d.page.focus('svg.graph-svg');
    await d.page.keyboard.press('+');
    const k = await zoom(d);
    await d.page.focus('[data-tab="graph"]');
    await d.page.keyboard.press('ArrowRight');
    await d.page.keyboard.press('ArrowRight');
    assert.equal(await d.page.getAttribute('[data-tab="checks"]', 'aria-selected'), 'true');
    assert.equal(await d.page.evaluate(() => document.activeElement?.getAttribute('data-tab')), 'checks');
    await d.page.waitForTimeout(250);
    await d.page.reload();
    await d.page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
    await d.send(update(a));
    assert.equal(await d.page.getAttribute('[data-tab="checks"]', 'aria-selected'), 'true');
    assert.equal(await d.page.isVisible('#panel-checks'), true);
    await d.tab('graph');
    assert.ok(Math.abs((await zoom(d)) - k) < 1e-3, 'zoom restored');
    await assertClean(d);
    await d.close();
  });

  it('focus selects and centres a node by name', async () => {
    const d = await openDashboard(browser, server);
    const a = analysisOf('two-layer-net.grad');
    await d.send(update(a));
    await d.tab('training');
    await d.send({ type: 'focus', name: 'h1' });
    assert.equal(await d.page.getAttribute('[data-tab="graph"]', 'aria-selected'), 'true');
    const id = a.graphView?.nodes.find((n) => n.name === 'h1')?.id;
    assert.match((await d.page.getAttribute(`g.node[data-id="${id}"]`, 'class')) ?? '', /selected/);
    await assertClean(d);
    await d.close();
  });

  it('showTask (Train / Plot Loss Landscape from the palette) switches to the task\'s tab', async () => {
    const d = await openDashboard(browser, server);
    await d.send(update(analysisOf('two-layer-net.grad')));
    assert.equal(await d.page.getAttribute('[data-tab="graph"]', 'aria-selected'), 'true');
    await d.send({ type: 'showTask', task: 'training' });
    assert.equal(await d.page.getAttribute('[data-tab="training"]', 'aria-selected'), 'true');
    await d.send({ type: 'showTask', task: 'landscape' });
    assert.equal(await d.page.getAttribute('[data-tab="landscape"]', 'aria-selected'), 'true');
    await assertClean(d);
    await d.close();
  });

  it('redraws the charts in the new colours when the theme changes', async () => {
    const d = await openDashboard(browser, server);
    await d.send(update(analysisOf('two-layer-net.grad')));
    await d.tab('gradients');
    const before = await d.page.$eval('[data-chart="grad-norms"] canvas', (c) => (c as HTMLCanvasElement).toDataURL());
    await d.setTheme('light');
    await d.page.waitForTimeout(100);
    const afterUrl = await d.page.$eval('[data-chart="grad-norms"] canvas', (c) => (c as HTMLCanvasElement).toDataURL());
    assert.notEqual(afterUrl, before);
    await assertClean(d);
    await d.close();
  });

  it('stays readable for a 50-layer net (150+ nodes)', async () => {
    const d = await openDashboard(browser, server, { height: 900 });
    const a = analyze(deepNet(50));
    assert.equal(a.diagnostics.filter((x) => x.severity === 'error').length, 0);
    await d.send(update(a, 'file:///deep.grad'));
    // The page's own time for the update (layout and drawing), without the test's message transfer.
    const ms = Math.round(await d.page.evaluate(() => performance.getEntriesByName('gradlens:update').pop()?.duration ?? NaN));
    assert.ok(ms < 2000, `update took ${ms} ms`);
    const count = await d.page.$$eval('g.node', (g) => g.length);
    assert.ok(count >= 150, `${count} nodes`);
    assert.ok((await zoom(d)) >= 0.7, 'starts at a readable zoom, not fitted into a speck');
    // No two boxes overlap.
    const overlaps = await d.page.$$eval('g.node .node-shape', (els) => {
      const rs = els.map((e) => e.getBoundingClientRect());
      let n = 0;
      for (let i = 0; i < rs.length; i++)
        for (let j = i + 1; j < rs.length; j++) if (rs[i].left < rs[j].right - 1 && rs[j].left < rs[i].right - 1 && rs[i].top < rs[j].bottom - 1 && rs[j].top < rs[i].bottom - 1) n++;
      return n;
    });
    assert.equal(overlaps, 0);
    console.log(`# 50-layer net: ${count} nodes laid out and drawn in ${ms} ms`);
    // Too large to read whole: the overview shows where the view is, and a click there moves it.
    assert.equal(await d.page.isVisible('.graph-minimap'), true, 'the overview is shown');
    const before = await d.page.$eval('g.graph-layer', (g) => g.getAttribute('transform'));
    const mini = await d.page.$eval('.graph-minimap', (m) => m.getBoundingClientRect().toJSON() as DOMRect);
    await d.page.mouse.click(mini.x + 4, mini.y + 4);
    assert.notEqual(await d.page.$eval('g.graph-layer', (g) => g.getAttribute('transform')), before, 'a click on the overview moves the view');
    await d.page.screenshot({ path: join(SHOTS, 'webview-graph-deep50-dark.png') });
    await d.page.click('text=Fit');
    assert.equal(await d.page.isVisible('.graph-minimap'), false, 'no overview once the whole graph is in view');
    await d.page.screenshot({ path: join(SHOTS, 'webview-graph-deep50-fit-dark.png') });
    await assertClean(d);
    await d.close();
  });

  for (const file of ['two-layer-net.grad', 'convnet.grad', 'rnn.grad']) {
    it(`the graph of ${file} reads at a glance in a tall side panel, in a wide one and back`, async () => {
      const d = await openDashboard(browser, server, { width: 640, height: 900 });
      await d.send(update(analysisOf(file), `file:///work/examples/${file}`));
      const check = async (when: string) => {
        const r = await readability(d);
        assert.ok(r.medianHeight >= 11, `${when}: median label ${r.medianHeight} px high`);
        assert.ok(r.inside >= 0.9, `${when}: ${Math.round(r.inside * 100)}% of the labels in view`);
        assert.deepEqual(r.overlapping, [], `${when}: overlapping labels`);
        assert.ok(r.minFontPx >= 10.9, `${when}: the smallest text is ${r.minFontPx} px`);
        console.log(`# ${file} ${when} (${r.panel.w}×${r.panel.h}, ${r.dir}): median label ${r.medianHeight.toFixed(1)} px, smallest text ${r.minFontPx.toFixed(1)} px, ${Math.round(r.inside * 100)}% in view`);
        return r;
      };
      assert.equal((await check('tall panel')).dir, 'TB', 'top to bottom in a tall panel');
      await d.page.setViewportSize({ width: 1900, height: 700 });
      await d.page.waitForTimeout(300);
      await check('wide panel');
      await d.page.setViewportSize({ width: 640, height: 900 });
      await d.page.waitForTimeout(300);
      assert.equal((await check('tall panel again')).dir, 'TB');
      await assertClean(d);
      await d.close();
    });
  }

  it('finds a node by name, opens the regularisation box, follows the editor cursor, and folds back', async () => {
    const d = await openDashboard(browser, server, { width: 640, height: 900 });
    const a = analysisOf('two-layer-net.grad');
    await d.send(update(a, 'file:///work/examples/two-layer-net.grad'));
    const selectedName = () => d.page.$eval('g.node.selected', (g) => (g as SVGGElement).dataset.name ?? g.querySelector('.node-title')?.textContent ?? '').catch(() => null);
    await d.page.fill('.graph-search-input', 'scor');
    assert.equal(await selectedName(), 'scores');
    assert.equal(await d.page.textContent('.graph-search-count'), '1/1');
    await d.page.fill('.graph-search-input', 'W');
    await d.page.press('.graph-search-input', 'Enter');
    assert.equal(await selectedName(), 'W2', 'Enter goes to the next match');
    // The const reg is folded into `* reg` inside the closed regularisation box.
    assert.equal(await d.page.$$eval('g.node .node-title', (ts) => ts.some((t) => t.textContent === 'reg')), false);
    // W1 and W2 enter the box through references drawn beside it (dashed), not edges across the graph.
    assert.deepEqual(await d.page.$$eval('g.node.ref', (g) => g.map((n) => (n as SVGGElement).dataset.name).sort()), ['W1', 'W2']);
    await d.page.focus('g.node.group');
    await d.page.keyboard.press('Enter');
    assert.equal(await d.page.$$eval('g.node.group', (g) => g.length), 0, 'the box opened');
    assert.ok(await d.page.$$eval('g.node .node-title', (ts) => ts.some((t) => t.textContent === '* reg')));
    const lines = example('two-layer-net.grad').split('\n');
    const h1 = lines.findIndex((l) => l.startsWith('h1'));
    await d.send({ type: 'cursor', range: { start: { line: h1, character: 0 }, end: { line: h1, character: 0 } } });
    assert.equal(await selectedName(), 'h1', 'the cursor on the h1 line selects h1');
    assert.equal((await d.posted()).some((m) => m.type === 'reveal'), true, 'opening the box revealed its line');
    await d.page.click('button:text-is("Unfold")');
    assert.ok(await d.page.$$eval('g.node .node-title', (ts) => ts.some((t) => t.textContent === 'reg')), 'Unfold shows the const');
    await d.page.click('button:text-is("Fold")');
    assert.equal(await d.page.$$eval('g.node.group', (g) => g.length), 1);
    await assertClean(d);
    await d.close();
  });

  it('opens a gate call in place, keeps it open across re-analysis and a reload, and closes it from its frame', async () => {
    const d = await openDashboard(browser, server, { width: 1000, height: 700 });
    const uri = 'file:///work/examples/lstm.grad';
    const a = analysisOf('lstm.grad');
    await d.send(update(a, uri));
    const gate = a.graphView?.nodes.find((n) => n.kind === 'gate' && n.label === 'cell');
    assert.ok(gate);
    const titles = () => d.page.$$eval('g.node .node-title', (ts) => ts.map((t) => t.textContent ?? ''));
    const layerTransform = () => d.page.$eval('g.graph-layer', (g) => g.querySelectorAll('g.node').length);
    assert.equal((await titles()).filter((t) => t === 'sigmoid').length, 0, 'closed by default');
    const before = await layerTransform();
    // The graph opens readable around the loss: the box is reached with the keyboard.
    await d.page.focus(`g.node[data-id="${gate.id}"]`);
    await d.page.keyboard.press('Enter');
    assert.equal(await d.page.$$eval(`g.node[data-id="${gate.id}"]`, (g) => g.length), 0, 'the box is replaced by its inside');
    assert.equal((await titles()).filter((t) => t === 'sigmoid').length, 3, 'the body’s three sigmoids');
    assert.ok((await layerTransform()) > before, 'laid out again with the inside');
    assert.equal(await d.page.textContent('g.frame-title'), '▾ cell');
    await d.page.click('button:text-is("Fit")');
    await d.page.screenshot({ path: join(SHOTS, 'webview-lstm-gate-open-dark.png') });
    assert.equal((await lastPosted(d, 'reveal'))?.type, 'reveal', 'opening reveals the call’s line');
    // The inside's edges carry the backward block's gradients (dcn into tanh).
    assert.ok(await d.page.$$eval('g.edge .edge-grad', (gs) => gs.length > 10));
    // A new analysis of the same file keeps it open; so does a reload of the webview.
    await d.send(update(analysisOf('lstm.grad'), uri, 2));
    assert.equal(await d.page.$$eval('g.frame', (f) => f.length), 1, 'open after re-analysis');
    await d.page.reload();
    await d.send(update(analysisOf('lstm.grad'), uri, 3));
    assert.equal(await d.page.$$eval('g.frame', (f) => f.length), 1, 'open after a reload');
    // The frame's title closes it, from the keyboard too; the box comes back with the focus on it.
    await d.page.focus('g.frame-title');
    await d.page.keyboard.press('Enter');
    assert.equal(await d.page.$$eval('g.frame', (f) => f.length), 0);
    assert.equal(await d.page.evaluate(() => (document.activeElement as SVGGElement | null)?.dataset.id), gate.id);
    // Another file starts with everything closed.
    await d.send(update(analysisOf('rnn.grad'), 'file:///work/examples/rnn.grad'));
    assert.equal(await d.page.$$eval('g.frame', (f) => f.length), 0);
    await assertClean(d);
    await d.close();
  });

  it('unrolls rnn over its time steps with per-step norms, and folds them back', async () => {
    const d = await openDashboard(browser, server, { width: 1000, height: 700 });
    const a = analysisOf('rnn.grad');
    await d.send(update(a, 'file:///work/examples/rnn.grad'));
    const op = a.graphView?.nodes.find((n) => n.steps);
    assert.ok(op?.steps);
    assert.equal(await d.page.textContent(`g.node[data-id="${op.id}"] .node-detail`), '6 steps ▸');
    await d.page.focus(`g.node[data-id="${op.id}"]`);
    await d.page.keyboard.press('Enter');
    const steps = await d.page.$$eval('g.node .node-title', (ts) => ts.map((t) => t.textContent ?? '').filter((t) => t.startsWith('step ')));
    assert.deepEqual(steps, ['step 0', 'step 1', 'step 2', 'step 3', 'step 4', 'step 5']);
    assert.equal(await d.page.textContent('g.frame-title'), '▾ rnn · 6 steps');
    // The recurrence h_1 → h_2 carries ‖h_1‖ forward and what step 2 sends back.
    const chain = `g.edge[data-from="${op.id}@1"][data-to="${op.id}@2"]`;
    assert.match((await d.page.textContent(`${chain} .edge-grad`)) ?? '', /‖∂‖ 0\.026/);
    await d.page.focus(`g.node[data-id="${op.id}@3"]`);
    const tip = (await d.page.textContent('#graph-tooltip')) ?? '';
    assert.match(tip, /h_t = tanh\(x_t Wx \+ h_\{t−1\} Wh \+ b\)/);
    assert.match(tip, /Wx, Wh, b: the same at every step/);
    await d.page.screenshot({ path: join(SHOTS, 'webview-rnn-unrolled-dark.png') });
    await d.page.click('button:text-is("Fit")');
    await d.page.click('g.frame-title');
    assert.equal(await d.page.$$eval('g.node .node-title', (ts) => ts.some((t) => t.textContent?.startsWith('step '))), false);
    await assertClean(d);
    await d.close();
  });

  it('escapes a gate name in its box, its frame and the tooltip', async () => {
    const d = await openDashboard(browser, server, { width: 1000, height: 700 });
    const a = analysisOf('affine-gate.grad');
    const view = a.graphView;
    assert.ok(view?.gates);
    const gate = view.gates[0];
    gate.label = EVIL;
    const box = view.nodes.find((n) => n.id === gate.id);
    assert.ok(box);
    box.label = EVIL;
    await d.send(update(a, 'file:///work/examples/affine-gate.grad'));
    await d.page.hover(`g.node[data-id="${gate.id}"]`);
    assert.match((await d.page.textContent('#graph-tooltip')) ?? '', /<img src=x/);
    await d.page.click(`g.node[data-id="${gate.id}"]`);
    assert.equal(await d.page.textContent('g.frame-title'), `▾ ${EVIL}`);
    assert.equal(await d.page.$$eval('img', (i) => i.length), 0);
    assert.equal(await d.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    await assertClean(d);
    await d.close();
  });

  it('compact mode shows the headline charts only', async () => {
    const d = await openDashboard(browser, server, { mode: 'compact', width: 340, height: 700 });
    await d.send(update(analysisOf('two-layer-net.grad')));
    assert.equal(await d.page.$$eval('[role="tab"]', (t) => t.length), 0);
    assert.match((await d.page.textContent('.headline')) ?? '', /loss = 2\.713/);
    assert.ok((await chartPoints(d, 'grad-norms')) > 0);
    assert.ok((await chartPoints(d, 'gradcheck')) > 0);
    assert.ok((await d.inkedPixels('[data-chart="gradcheck"] canvas')) > 300);
    await d.page.screenshot({ path: join(SHOTS, 'webview-compact-dark.png') });
    await assertClean(d);
    await d.close();
  });

  it('follows the debugger: the current node marked, the gradients not computed yet greyed, cleared at the end', async () => {
    const d = await openDashboard(browser, server);
    const file = '/work/examples/circuit.grad';
    await d.send(update(analysisOf('circuit.grad'), `file://${file}`));
    const r = recordTrace(example('circuit.grad'));
    assert.ok(r.ok);
    const cursor = new TraceCursor(r.trace);
    const at = (): ToWebview => ({ type: 'debug', view: { program: file, ...debugFollowState(r.trace, cursor.state, cursor.current!.stop) } satisfies DebugView });
    const marks = () =>
      d.page.evaluate(() => ({
        current: [...document.querySelectorAll('g.node.debug-current')].map((g) => (g as SVGGElement).dataset.name ?? g.querySelector('.node-title')?.textContent ?? ''),
        greyGrads: document.querySelectorAll('g.edge.debug-no-grad').length,
        greyValues: document.querySelectorAll('g.node.debug-no-value').length,
        edges: document.querySelectorAll('g.edge').length,
      }));
    cursor.start(true);
    await d.send(at());
    let m = await marks();
    assert.deepEqual(m.current, ['x']);
    assert.equal(m.greyGrads, m.edges, 'forward: no gradient yet');
    assert.ok(m.greyValues > 0, 'values not computed yet are greyed');
    cursor.stepOut(); // the first backward stop: f = q * z
    await d.send(at());
    m = await marks();
    assert.deepEqual(m.current, ['f']);
    const afterRoot = m.greyGrads;
    assert.ok(afterRoot < m.edges && afterRoot > 0, `the root's edges have their gradients: ${afterRoot} of ${m.edges} grey`);
    cursor.next(); // q = x + y: every gradient computed
    await d.send(at());
    m = await marks();
    assert.deepEqual(m.current, ['q']);
    assert.equal(m.greyGrads, 0);
    assert.equal(m.greyValues, 0);
    await d.send({ type: 'debug', view: { program: file, phase: 'sideways', current: 1 } } as unknown as ToWebview);
    assert.deepEqual((await marks()).current, ['q'], 'a malformed message is dropped');
    await d.send({ type: 'debug', view: null });
    m = await marks();
    assert.deepEqual(m.current, []);
    assert.equal(m.greyGrads + m.greyValues, 0);
    await assertClean(d);
    await d.close();
  });

  for (const theme of ['dark', 'light'] as ThemeName[]) {
    it(`screenshots in the ${theme} theme`, async () => {
      const d = await openDashboard(browser, server, { theme, height: 1000 });
      const shot = (name: string) => d.page.screenshot({ path: join(SHOTS, `webview-${name}-${theme}.png`) });
      await d.send(update(analysisOf('circuit.grad'), 'file:///work/examples/circuit.grad'));
      await shot('graph-circuit');
      await d.send(update(analysisOf('two-layer-net.grad'), 'file:///work/examples/two-layer-net.grad'));
      await shot('graph-two-layer');
      await d.send(update(analysisOf('broken/wrong-sign.grad'), 'file:///work/examples/broken/wrong-sign.grad'));
      await shot('graph-wrong-sign');
      await d.send(update(analysisOf('two-layer-net.grad'), 'file:///work/examples/two-layer-net.grad'));
      await d.tab('gradients');
      await shot('gradients');
      await d.tab('checks');
      await shot('checks');
      await d.tab('landscape');
      await d.send({ type: 'landscape', result: await landscapeOf('two-layer-net.grad', 41, 1) });
      await shot('landscape');
      await d.tab('training');
      const { final } = await trainingOf('two-layer-net.grad', 100, 0.1, 0.9);
      await d.send({ type: 'training', result: final, final: true });
      await shot('training');
      await assertClean(d);
      await d.close();
    });
  }
});
