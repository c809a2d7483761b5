// The dashboard's chart details in a real Chromium at the width the dashboard has beside the editor
// (half of 1600×1000): band labels no bar covers, histogram ticks that are nice numbers, the rnn's
// time-step chart first, and the histograms opening on an informative tensor.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { analysisOf, launchBrowser, openDashboard, startServer, update, type Dashboard, type DashboardServer } from './harness';

let browser: Browser;
let server: DashboardServer;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

async function dataset(d: Dashboard, chart: string, key: string): Promise<string> {
  return d.page.$eval(`[data-chart="${chart}"] canvas`, (c, k) => (c as HTMLCanvasElement).dataset[k] ?? '', key);
}

async function open(file: string): Promise<Dashboard> {
  const d = await openDashboard(browser, server, { width: 800, height: 1000 });
  await d.send(update(analysisOf(file), `file:///work/examples/${file}`));
  await d.tab('gradients');
  return d;
}

describe('dashboard charts', () => {
  it('the "vanishing" label is drawn where no bar covers it (gradient-flow.grad)', async () => {
    const d = await open('gradient-flow.grad');
    const labels = JSON.parse(await dataset(d, 'grad-norms', 'bandLabels')) as { label: string; box: Box }[];
    const bars = JSON.parse(await dataset(d, 'grad-norms', 'bars')) as Box[];
    assert.ok(bars.length >= 5, 'the bars are known');
    const vanishing = labels.find((l) => l.label === 'vanishing');
    assert.ok(vanishing, `labels drawn: ${JSON.stringify(labels)}`);
    for (const l of labels) {
      for (const b of bars) {
        const apart = l.box.right <= b.left || l.box.left >= b.right || l.box.bottom <= b.top || l.box.top >= b.bottom;
        assert.ok(apart, `${l.label} at ${JSON.stringify(l.box)} overlaps a bar at ${JSON.stringify(b)}`);
      }
    }
    await d.close();
  });

  it('histogram ticks are nice numbers (a 1-2-5 step, short labels)', async () => {
    for (const file of ['two-layer-net.grad', 'convnet.grad', 'rnn.grad']) {
      const d = await open(file);
      for (const chart of ['hist-values', 'hist-grads']) {
        const ticks = (await dataset(d, chart, 'xTicks')).split('|').filter(Boolean);
        assert.ok(ticks.length >= 2, `${file} ${chart}: ${ticks}`);
        const values = ticks.map(Number);
        assert.ok(values.every(Number.isFinite), `${file} ${chart}: ${ticks}`);
        const step = values[1] - values[0];
        const mantissa = Number((step / 10 ** Math.floor(Math.log10(step) + 1e-12)).toPrecision(6));
        assert.ok([1, 2, 5].includes(mantissa), `${file} ${chart}: step ${step} of ${ticks}`);
        for (const t of ticks) assert.ok(t.replace(/^-/, '').length <= 6, `${file} ${chart}: tick ${t} of ${ticks}`);
      }
      await d.close();
    }
  });

  it('an rnn file: the time-step chart is the first chart of the Gradients tab, above the fold', async () => {
    const d = await open('rnn.grad');
    const first = await d.page.$eval('section.view.gradients', (s) => (s.firstElementChild as HTMLElement).dataset.chart);
    assert.equal(first, 'rnn-steps');
    const top = await d.page.$eval('[data-chart="rnn-steps"]', (e) => e.getBoundingClientRect().bottom);
    assert.ok(top <= 1000, `the chart ends at ${top}px, inside the 1000px window`);
    // Another file afterwards: no rnn, no chart, and the norms first again.
    await d.send(update(analysisOf('two-layer-net.grad')));
    assert.equal(await d.page.$eval('section.view.gradients', (s) => (s.firstElementChild as HTMLElement).dataset.chart), 'grad-norms');
    assert.equal(await d.page.isHidden('[data-chart="rnn-steps"]'), true);
    await d.close();
  });

  it('the histograms open on a tensor whose values vary, not h0 (zeros)', async () => {
    const d = await open('rnn.grad');
    const picked = await d.page.$eval('#hist-node', (s) => (s as HTMLSelectElement).value);
    assert.notEqual(picked, 'h0');
    const a = analysisOf('rnn.grad');
    const n = a.nodes.find((x) => x.name === picked);
    assert.ok(n?.valueStats && n.valueStats.max > n.valueStats.min, picked);
    await d.close();
  });
});
