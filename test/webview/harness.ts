// Runs the dashboard webview in a real Chromium: a tiny HTTP server serves the page exactly as the
// extension builds it (dashboardHtml, same CSP) and dist/webview/webview.js; an init script stubs
// acquireVsCodeApi (recording posted messages, keeping setState across reloads) and records CSP
// violations; messages are posted into the page as the extension would.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { analyze, analyzeSession } from '../../src/core/analyze';
import type { Analysis } from '../../src/core/model';
import { DEFAULT_THRESHOLDS, type GradCheckThresholds } from '../../src/core/defaults';
import { lossLandscape } from '../../src/core/explore/landscape';
import { train } from '../../src/core/explore/training';
import { dashboardUpdate, type FromWebview, type LandscapeResult, type ToWebview, type TrainingResult } from '../../src/shared/webviewProtocol';
import { dashboardHtml, type DashboardMode } from '../../src/shared/dashboardHtml';
import { tensorDetail } from '../../src/shared/dashboardModel';
import { THEMES, type ThemeName } from './themes';

export const ROOT = join(__dirname, '..', '..');
export const CHROMIUM = process.env.GRADLENS_CHROMIUM ?? '/usr/bin/chromium';
const BUNDLE = join(ROOT, 'dist', 'webview', 'webview.js');

export function example(path: string): string {
  return readFileSync(join(ROOT, 'examples', path), 'utf8');
}

export function analysisOf(path: string): Analysis {
  return analyze(example(path));
}

/** The full Analysis behind each slim model `update` sent (the page's `tensor` requests are answered from it). */
const fullOf = new WeakMap<object, Analysis>();

/** The `update` message the extension posts for an analysis: its slim model (dashboardModel.ts). */
export function update(analysis: Analysis, uri = 'file:///work/example.grad', version = 1, thresholds: GradCheckThresholds = DEFAULT_THRESHOLDS): ToWebview {
  const msg = dashboardUpdate(uri, version, analysis, thresholds);
  if (msg.type === 'update') fullOf.set(msg.state.analysis, analysis);
  return msg;
}

export async function landscapeOf(path: string, grid = 41, span = 1): Promise<LandscapeResult> {
  const r = await lossLandscape(analyzeSession(example(path)), { grid, span }, { progress: () => undefined, cancelled: () => false });
  if (typeof r === 'string') throw new Error(`landscape: ${r}`);
  return r;
}

export async function trainingOf(path: string, steps: number, lr: number, momentum: number): Promise<{ partials: TrainingResult[]; final: TrainingResult }> {
  const partials: TrainingResult[] = [];
  const r = await train(analyzeSession(example(path)), { steps, lr, momentum }, { progress: () => undefined, cancelled: () => false, partial: (p) => partials.push(structuredClone(p)) });
  if (typeof r === 'string') throw new Error(`training: ${r}`);
  return { partials, final: r.result };
}

/** A deep net for the "readable with 100+ nodes" check: 50 affine+relu layers. */
export function deepNet(layers = 50): string {
  const lines = ['seed 1', 'dims N = 32, W = 64', 'input X: [N, W]'];
  for (let i = 1; i <= layers; i++) lines.push(`param W${i}: [W, W] ~ he`);
  let prev = 'X';
  for (let i = 1; i <= layers; i++) {
    lines.push(`h${i} = relu(${prev} @ W${i})`);
    prev = `h${i}`;
  }
  lines.push(`loss = mean(${prev} * ${prev})`);
  return lines.join('\n') + '\n';
}

export interface DashboardServer {
  origin: string;
  close(): Promise<void>;
}

export async function startServer(): Promise<DashboardServer> {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`node scripts/build.mjs\` first (npm run test:webview does).`);
  let origin = '';
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === '/dashboard') {
      const mode: DashboardMode = url.searchParams.get('mode') === 'compact' ? 'compact' : 'panel';
      const html = dashboardHtml({ scriptUri: `${origin}/webview.js`, cspSource: origin, nonce: randomBytes(16).toString('base64'), mode });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html);
    } else if (url.pathname === '/webview.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      res.end(readFileSync(BUNDLE));
    } else if (url.pathname === '/favicon.ico') {
      res.writeHead(204);
      res.end();
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}. Install it with \`sudo apt-get install -y chromium\` (scripts/setup-tools.sh does), or set GRADLENS_CHROMIUM to a Chromium binary.`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Runs in the page before any of its scripts. */
function pageSetup(theme: { bodyClass: string; vars: Record<string, string> }): void {
  const w = window as unknown as { __posted: unknown[]; __violations: string[] };
  w.__posted = [];
  w.__violations = [];
  document.addEventListener('securitypolicyviolation', (e) => w.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  const key = 'gradlens-webview-state';
  (window as unknown as { acquireVsCodeApi: () => unknown }).acquireVsCodeApi = () => ({
    postMessage: (m: unknown) => {
      w.__posted.push(JSON.parse(JSON.stringify(m)));
      // Like the extension: a tensor the page asks for comes back from the analysis shown.
      const ask = (window as unknown as { __gradlensTensor?: (m: unknown) => void }).__gradlensTensor;
      if (ask && typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'tensor') ask(m);
    },
    getState: () => {
      const s = sessionStorage.getItem(key);
      return s ? JSON.parse(s) : undefined;
    },
    setState: (s: unknown) => sessionStorage.setItem(key, JSON.stringify(s)),
  });
  // Like VS Code: the theme class on <body> and the variables on <html>, before the bundle runs.
  const apply = () => {
    document.body.classList.add(theme.bodyClass);
    for (const [k, v] of Object.entries(theme.vars)) document.documentElement.style.setProperty(k, v);
    document.documentElement.style.background = theme.vars['--vscode-editor-background'];
  };
  const mo = new MutationObserver(() => {
    if (!document.body) return;
    mo.disconnect();
    apply();
  });
  mo.observe(document, { childList: true, subtree: true });
}

export class Dashboard {
  readonly consoleErrors: string[] = [];
  readonly dialogs: string[] = [];
  /** The analysis last sent (full) with its uri and version: what `tensor` requests are answered from. */
  shown: { uri: string; version: number; analysis: Analysis } | null = null;
  /** `tensor` requests the page made. */
  readonly tensorRequests: string[] = [];
  /** Set false to leave `tensor` requests unanswered. */
  answerTensors = true;

  constructor(readonly page: Page) {
    page.on('console', (m) => {
      // The readback hint is about the test's own getImageData calls, not the page.
      if ((m.type() === 'error' || m.type() === 'warning') && !m.text().startsWith('Canvas2D: Multiple readback')) this.consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => this.consoleErrors.push(`pageerror: ${e.message}`));
    page.on('dialog', (d) => {
      this.dialogs.push(d.message());
      void d.dismiss();
    });
  }

  async send(msg: ToWebview): Promise<void> {
    if (msg.type === 'update') {
      const full = fullOf.get(msg.state.analysis);
      this.shown = full ? { uri: msg.state.uri, version: msg.state.version, analysis: full } : null;
    }
    await this.page.evaluate((m) => window.postMessage(m, '*'), msg);
    // Messages are handled in a task; let it run and the frame paint.
    await this.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
  }

  async posted(): Promise<FromWebview[]> {
    return this.page.evaluate(() => (window as unknown as { __posted: FromWebview[] }).__posted);
  }

  async violations(): Promise<string[]> {
    return this.page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
  }

  async tab(id: string): Promise<void> {
    await this.page.click(`[data-tab="${id}"]`);
  }

  async setTheme(name: ThemeName): Promise<void> {
    const theme = THEMES[name];
    await this.page.evaluate((t) => {
      document.body.classList.remove('vscode-dark', 'vscode-light', 'vscode-high-contrast');
      document.body.classList.add(t.bodyClass);
      for (const [k, v] of Object.entries(t.vars)) document.documentElement.style.setProperty(k, v);
      document.documentElement.style.background = t.vars['--vscode-editor-background'];
    }, theme);
    await this.page.waitForTimeout(100);
  }

  /** How many pixels of a canvas are not transparent. */
  async inkedPixels(selector: string): Promise<number> {
    return this.page.$eval(selector, (c) => {
      const canvas = c as HTMLCanvasElement;
      const ctx = canvas.getContext('2d');
      if (!ctx || canvas.width === 0 || canvas.height === 0) return 0;
      const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) n++;
      return n;
    });
  }

  async close(): Promise<void> {
    await this.page.close();
  }
}

export async function openDashboard(browser: Browser, server: DashboardServer, options: { mode?: DashboardMode; theme?: ThemeName; width?: number; height?: number } = {}): Promise<Dashboard> {
  const page = await browser.newPage({ viewport: { width: options.width ?? 1200, height: options.height ?? 800 } });
  // tsx compiles with keepNames: functions sent to the page call esbuild's __name helper.
  await page.addInitScript({ content: 'window.__name = (f) => f;' });
  await page.addInitScript(pageSetup, THEMES[options.theme ?? 'dark']);
  const dash = new Dashboard(page);
  await page.exposeFunction('__gradlensTensor', (m: { name: string }) => {
    dash.tensorRequests.push(m.name);
    const shown = dash.shown;
    if (!dash.answerTensors || !shown) return;
    const reply: ToWebview = { type: 'tensor', uri: shown.uri, version: shown.version, name: m.name, detail: tensorDetail(shown.analysis, m.name) };
    void page.evaluate((r) => window.postMessage(r, '*'), reply);
  });
  await page.goto(`${server.origin}/dashboard?mode=${options.mode ?? 'panel'}`);
  await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
  return dash;
}
