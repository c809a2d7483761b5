// The sidebar's Dashboard view follows the last active .grad editor, not the focused widget: with
// the dashboard panel beside the editor (its default place, at 1600×1000) and the focus in it, the
// sidebar view still shows the file — when it is first shown, and when it is shown again.
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Frame } from 'playwright-core';
import { Workbench } from './workbench';

describe('the sidebar dashboard while the dashboard panel has the focus', () => {
  let wb: Workbench;
  let panel: Frame;
  const step = (name: string, fn: () => Promise<void>) => it(name, () => wb.guard(name, fn));

  before(async () => {
    wb = await Workbench.open('sidebar-follow');
    await wb.page.setViewportSize({ width: 1600, height: 1000 });
  });
  after(async () => {
    await wb?.close();
  });

  /** The compact (sidebar) dashboard's frame, once it names `file`; fails if it says "Open a .grad file". */
  async function sidebarShows(file: string, what: string): Promise<void> {
    const frame = await wb.webviewFrame('#app.mode-compact', `the sidebar dashboard (${what})`);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const name = await frame.locator('.headline-file').innerText({ timeout: 2_000 }).catch(() => '');
      if (name.includes(file)) break;
      const message = await frame.locator('.page-message').innerText({ timeout: 1_000 }).catch(() => '');
      if (Date.now() > deadline) throw new Error(`${what}: the sidebar dashboard does not show ${file}; it says "${message || name}"`);
      await wb.page.waitForTimeout(250);
    }
    assert.equal(await frame.locator('.page-message').isVisible(), false, `${what}: no "Open a .grad file" message`);
  }

  step('opens two-layer-net.grad and the dashboard beside it, then puts the focus in the dashboard', async () => {
    // From the explorer, as a new user would (and independent of Quick Open's file search warming up).
    await wb.page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'two-layer-net.grad' }).first().dblclick();
    await wb.waitForText(wb.page.locator('.tabs-container .tab.active'), 'two-layer-net.grad', 'the editor tab of two-layer-net.grad');
    await wb.editor.locator('.view-lines').waitFor({ timeout: 10_000 });
    await wb.runCommand('GradLens: Open Dashboard');
    panel = await wb.webviewFrame('.header .hdr-file', 'the dashboard panel webview');
    await wb.waitForText(panel.locator('.header .hdr-file'), 'two-layer-net.grad', 'the dashboard header to name the file');
    await panel.locator('.header').click();
  });

  step('the sidebar view, first shown while the dashboard has the focus, shows the file', async () => {
    await wb.page.locator('.activitybar .action-item a[aria-label^="GradLens"]').click();
    await wb.waitForText(wb.page.locator('.part.sidebar'), /Gradient Checks/i, 'the GradLens sidebar');
    await panel.locator('.header').click();
    await sidebarShows('two-layer-net.grad', 'first shown');
    await wb.screenshot('sidebar-follows-dashboard-focus');
  });

  step('hidden and shown again with the focus in the dashboard, it still shows the file', async () => {
    await panel.locator('.header').click();
    await wb.runCommand('View: Toggle Primary Side Bar Visibility');
    await wb.page.locator('.part.sidebar').waitFor({ state: 'hidden', timeout: 10_000 });
    await panel.locator('.header').click();
    await wb.runCommand('View: Toggle Primary Side Bar Visibility');
    await wb.page.locator('.part.sidebar').waitFor({ state: 'visible', timeout: 10_000 });
    await sidebarShows('two-layer-net.grad', 'shown again');
  });
});
