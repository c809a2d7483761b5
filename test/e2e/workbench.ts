// Driving the VS Code workbench (code-server in Chromium) the way a person does: keyboard and
// clicks, then reading what is rendered. Every wait has a timeout and a message; `guard` saves a
// screenshot and the visible text of a failing test and puts their paths in the error.
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Browser, Frame, Locator, Page } from 'playwright-core';
import { ROOT, launchChromium } from '../../scripts/codeServer';

export const SCREENSHOTS = join(ROOT, 'test-results', 'screenshots');
const THEMES = { light: 'Default Light Modern', dark: 'Default Dark Modern' } as const;
export type Theme = keyof typeof THEMES;

/** Settings of the e2e server on top of the quiet ones. */
export const E2E_SETTINGS: Record<string, unknown> = {
  'workbench.colorTheme': THEMES.light,
  'editor.hover.delay': 200,
  'editor.minimap.enabled': false,
  'window.zoomLevel': 0,
};

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the end-to-end tests with \`npm run test:e2e\``);
  return v;
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
/** Monaco renders spaces as U+00A0. */
const plain = (s: string) => s.replace(/\u00a0/g, ' ');

export class Workbench {
  private constructor(
    readonly browser: Browser,
    readonly page: Page,
    readonly folder: string,
  ) {}

  /**
   * A browser on a fresh copy of examples/ (a new folder, so no editors are restored), plus
   * `files` (name → content) written before the workbench lists the folder: Quick Open keeps the
   * file list it saw first. `viewport` is the browser window's size.
   */
  static async open(name: string, serverUrl = env('GRADLENS_E2E_URL'), files: Record<string, string> = {}, viewport = { width: 1440, height: 900 }): Promise<Workbench> {
    const folder = join(env('GRADLENS_E2E_TMP'), `workspace-${slug(name)}`);
    cpSync(join(ROOT, 'examples'), folder, { recursive: true });
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(dirname(join(folder, file)), { recursive: true });
      writeFileSync(join(folder, file), content);
    }
    const browser = await launchChromium();
    const page = await browser.newPage({ viewport });
    const wb = new Workbench(browser, page, folder);
    await page.goto(`${serverUrl}/?folder=${encodeURIComponent(folder)}`);
    await page.locator('.monaco-workbench .part.editor').waitFor({ timeout: 90_000 });
    await page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: 30_000 });
    // The explorer lists the folder once the remote connection is up.
    await wb.waitForText(page.locator('.explorer-folders-view'), 'circuit.grad', 'the explorer to list the examples', 60_000);
    return wb;
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
  }

  /** Runs a test step; on failure saves a screenshot and the visible text, and names both in the error. */
  async guard(name: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      const where = await this.dumpScreen(`failure-${slug(name)}`).catch((d: unknown) => `(could not capture the screen: ${String(d)})`);
      const err = e instanceof Error ? e : new Error(String(e));
      err.message = `${err.message}\n${where}`;
      throw err;
    }
  }

  async dumpScreen(name: string): Promise<string> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const png = join(SCREENSHOTS, `${name}.png`);
    const txt = join(SCREENSHOTS, `${name}.txt`);
    await this.page.screenshot({ path: png });
    const text = plain(await this.page.locator('body').innerText({ timeout: 5000 }));
    writeFileSync(txt, text);
    const visible = text.split('\n').map((l) => l.trim()).filter(Boolean).join(' | ');
    return `screenshot: ${relative(ROOT, png)}; visible text (${relative(ROOT, txt)}): ${visible.slice(0, 2500)}`;
  }

  async screenshot(name: string): Promise<string> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const png = join(SCREENSHOTS, `${name}.png`);
    // Park the mouse on empty space so no tooltip from an earlier click covers the picture.
    await this.page.mouse.move(700, 820);
    await this.page.waitForTimeout(300);
    await this.page.screenshot({ path: png });
    return png;
  }

  /** Waits until `locator`'s text contains `text` (or matches it); fails with the text it had. */
  async waitForText(locator: Locator, text: string | RegExp, what: string, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      // innerText is what is rendered; SVG elements have only textContent.
      last = plain((await locator.allInnerTexts().catch(() => [] as string[])).join('\n'));
      if (!last.trim()) last = plain((await locator.allTextContents().catch(() => [] as string[])).join('\n'));
      if (typeof text === 'string' ? last.includes(text) : text.test(last)) return last;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; it showed: ${JSON.stringify(last.slice(0, 800))}`);
      await this.page.waitForTimeout(150);
    }
  }

  /** Waits until `count()` of `locator` satisfies `ok`; returns the count. */
  async waitForCount(locator: Locator, ok: (n: number) => boolean, what: string, timeoutMs = 20_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const n = await locator.count();
      if (ok(n)) return n;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (count is ${n})`);
      await this.page.waitForTimeout(150);
    }
  }

  /** The texts drawn after the ends of lines (GradLens' values: CSS ::after content on spans whose class starts with ced-). */
  lineEndTexts(): Promise<string[]> {
    return this.page.evaluate(() => {
      const g = globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<unknown> }; getComputedStyle(e: unknown, pseudo: string): { content: string } };
      return Array.from(g.document.querySelectorAll('.view-lines [class*="ced-"]'), (e) => g.getComputedStyle(e, '::after').content)
        .filter((c) => c && c !== 'none' && c !== 'normal')
        .map((c) => c.replace(/^"|"$/g, ''));
    });
  }

  /** Waits until the line-end texts satisfy `ok`; returns them. */
  async waitForLineEnds(ok: (texts: string[]) => boolean, what: string, timeoutMs = 20_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const texts = await this.lineEndTexts();
      if (ok(texts)) return texts;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the line ends show: ${texts.join(' | ').slice(0, 400) || 'nothing'}`);
      await this.page.waitForTimeout(150);
    }
  }

  get editor(): Locator {
    return this.page.locator('.part.editor .editor-instance .monaco-editor').first();
  }

  /** The text of the visible lines of the active editor. */
  async editorText(): Promise<string> {
    return plain(await this.editor.locator('.view-lines').innerText());
  }

  /** Opens a file of the workspace with Quick Open (Ctrl+P), as a user would. */
  async quickOpen(file: string): Promise<void> {
    const name = file.split('/').pop() ?? file;
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(file);
    // Enter opens the first row: wait until the filter has put the file there.
    await this.waitForText(this.page.locator('.quick-input-list .monaco-list-row[data-index="0"]'), name, `Quick Open to list ${file} first`);
    await this.page.keyboard.press('Enter');
    await this.waitForText(this.page.locator('.tabs-container .tab.active'), name, `the editor tab of ${name}`);
    await this.editor.locator('.view-lines').waitFor({ timeout: 10_000 });
  }

  /** Runs a command from the palette (F1) by its title, e.g. "GradLens: Show Output". */
  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${title}`);
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    await row.waitFor({ timeout: 10_000 }).catch(async () => {
      throw new Error(`the command palette has no "${title}"; it lists: ${plain((await this.page.locator('.quick-input-list').allInnerTexts()).join(' | '))}`);
    });
    await row.click();
  }

  /** Moves the cursor with Go to Line (Ctrl+G), 1-based like the status bar. */
  async goTo(line: number, column = 1): Promise<void> {
    await this.editor.click({ position: { x: 200, y: 5 } }).catch(() => undefined);
    await this.page.keyboard.press('Control+G');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`:${line}:${column}`);
    await this.page.keyboard.press('Enter');
    await this.waitForText(this.page.locator('.statusbar'), `Ln ${line}, Col ${column}`, `the cursor at ${line}:${column}`);
  }

  /**
   * The webview frame whose document has `selector` (webviews are nested iframes outside the
   * editor's DOM; several can be open, e.g. a panel and a sidebar view).
   */
  async webviewFrame(selector: string, what: string, timeoutMs = 30_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const f of this.page.frames()) {
        if (f === this.page.mainFrame()) continue;
        if ((await f.locator(selector).count().catch(() => 0)) > 0) return f;
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (no webview frame has ${selector}; ${this.page.frames().length - 1} frames open)`);
      await this.page.waitForTimeout(250);
    }
  }

  /** Switches the colour theme with "Preferences: Color Theme", as a user would. */
  async setTheme(theme: Theme): Promise<void> {
    const cls = theme === 'dark' ? 'vs-dark' : 'vs';
    if ((await this.page.locator(`.monaco-workbench.${cls}`).count()) > 0) return;
    await this.runCommand('Preferences: Color Theme');
    const input = this.page.locator('.quick-input-widget input');
    await this.waitForText(this.page.locator('.quick-input-list'), THEMES[theme], `the theme picker to list ${THEMES[theme]}`);
    await input.fill(THEMES[theme]);
    await this.page.locator('.quick-input-list .monaco-list-row', { hasText: THEMES[theme] }).first().click();
    await this.page.locator(`.monaco-workbench.${cls}`).waitFor({ timeout: 20_000 });
    // Let the new colours paint before a screenshot.
    await this.page.waitForTimeout(500);
  }

}
