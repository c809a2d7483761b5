// `npm start`: GradLens in a real VS Code without installing VS Code. Installs the tools if
// missing, builds and packages the extension, installs the .vsix into a local code-server (one
// profile per port, kept in .tools/start/port-N/: see startProfile.ts), opens examples/ on
// 127.0.0.1 and prints the URL with a password made for this run (code-server's login page; the
// password is in the profile's config.yaml, readable by this user only). Workspace trust stays on:
// VS Code asks once per folder whether to trust it; a folder not trusted opens in Restricted Mode
// (GradLens works there, its limits cannot be lifted by the folder's settings). Runs until Ctrl+C.
//   --port=N          port (default 8357, or GRADLENS_PORT; the next free one if taken)
//   --fresh           a new profile for this run only, removed when it stops
//   --folder=PATH     folder to open (default examples/)
//   --screenshot      also open the two-layer net in Chromium (logging in, trusting examples/ only)
//                     and save a screenshot of its values to test-results/screenshots/start-two-layer-net.png
//   --exit            stop after the screenshot (for checking `npm start` itself)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { PACKAGE, QUIET_SETTINGS, ROOT, TOOLS_DIR, ensureTools, freePort, installVsix, launchChromium, startCodeServer, writeUserSettings } from './codeServer';
import { newPassword, startServerSecurity, startUserSettings } from './codeServerLaunch';
import { startProfileDir } from './startProfile';

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const flag = (name: string) => process.argv.includes(`--${name}`);

async function screenshot(url: string, password: string, trustFolder: boolean): Promise<string> {
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  try {
    return await openTwoLayerNet(page, url, password, trustFolder);
  } catch (e) {
    const png = join(ROOT, 'test-results', 'screenshots', 'start-failure.png');
    mkdirSync(dirname(png), { recursive: true });
    await page.screenshot({ path: png }).catch(() => undefined);
    throw new Error(`${e instanceof Error ? e.message : String(e)} (the page: ${relative(ROOT, png)})`);
  } finally {
    await browser.close();
  }
}

async function openTwoLayerNet(page: Page, url: string, password: string, trustFolder: boolean): Promise<string> {
  await page.goto(url);
  // code-server's login page, as a person would fill it.
  const field = page.locator('input[type=password][name=password]');
  await field.waitFor({ timeout: 60_000 });
  await field.fill(password);
  await page.locator('input[type=submit]').click();
  await page.locator('.monaco-workbench .part.editor').waitFor({ timeout: 90_000 });
  // The trust prompt (once per folder, when the workbench has settled): the examples are
  // GradLens' own; anything else stays restricted.
  const answer = page.locator('.monaco-dialog-box .monaco-button', { hasText: trustFolder ? /Yes, I trust/ : /No, I don.t trust/ });
  await page.locator('.explorer-folders-view', { hasText: 'two-layer-net.grad' }).waitFor({ timeout: 60_000 });
  for (let waited = 0; waited < 20_000; waited += 500) {
    if (await answer.count()) {
      await answer.first().click();
      break;
    }
    if (await page.locator('.statusbar', { hasText: 'Restricted Mode' }).count()) break; // decided earlier, restricted
    await page.waitForTimeout(500);
  }
  await page.keyboard.press('Control+P');
  await page.locator('.quick-input-widget input').fill('two-layer-net.grad');
  await page.locator('.quick-input-list .monaco-list-row[data-index="0"]', { hasText: 'two-layer-net.grad' }).waitFor({ timeout: 20_000 });
  await page.keyboard.press('Enter');
  const dir = join(ROOT, 'test-results', 'screenshots');
  mkdirSync(dir, { recursive: true });
  // Every statement's value at its line end (after-text decorations, as test/e2e/workbench.ts reads them).
  const lineEnds = () =>
    page.evaluate(() => {
      const g = globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<unknown> }; getComputedStyle(e: unknown, pseudo: string): { content: string } };
      return Array.from(g.document.querySelectorAll('.view-lines [class*="ced-"]'), (e) => g.getComputedStyle(e, '::after').content).filter((c) => c.includes('value') || c.includes('‖v‖'));
    });
  const deadline = Date.now() + 60_000;
  let texts = await lineEnds();
  while (!texts.some((t) => t.includes('loss: value'))) {
    if (Date.now() > deadline) throw new Error("no value at the end of loss's line within 60 s");
    await page.waitForTimeout(250);
    texts = await lineEnds();
  }
  const restricted = await page.locator('.statusbar', { hasText: 'Restricted Mode' }).count();
  const png = join(dir, 'start-two-layer-net.png');
  await page.screenshot({ path: png });
  console.log(`start: ${texts.length} values at the line ends of two-layer-net.grad${restricted ? ' (Restricted Mode)' : ''}; screenshot ${relative(ROOT, png)}`);
  return png;
}

async function main(): Promise<void> {
  ensureTools();
  const pack = spawnSync(process.execPath, [join(ROOT, 'scripts', 'package.mjs')], { stdio: 'inherit' });
  if (pack.status !== 0) process.exit(pack.status ?? 1);
  const vsix = join(ROOT, `${PACKAGE.name}-${PACKAGE.version}.vsix`);
  const folder = resolve(arg('folder') ?? join(ROOT, 'examples'));
  if (!existsSync(folder)) throw new Error(`no folder ${folder}`);
  const port = await freePort(Number(arg('port') ?? process.env.GRADLENS_PORT ?? 8357));
  const fresh = flag('fresh');
  const dataDir = startProfileDir(TOOLS_DIR, port, fresh ? { pid: process.pid, time: Date.now() } : null);
  installVsix(vsix, dataDir);
  console.log(`start: installed ${relative(ROOT, vsix)} into ${relative(ROOT, dataDir)}/extensions (the profile of port ${port}${fresh ? ', for this run only' : ''})`);
  // Quiet defaults on first start only; later the profile is the user's own, with trust kept on.
  const settingsFile = join(dataDir, 'user', 'User', 'settings.json');
  const user = startUserSettings(QUIET_SETTINGS, existsSync(settingsFile) ? readFileSync(settingsFile, 'utf8') : null);
  if (user.settings) writeUserSettings(join(dataDir, 'user'), user.settings);
  if (user.warning) console.warn(`start: ${user.warning}`);
  if (process.getuid?.() === 0) console.warn('start: running as root: a terminal opened in this editor is a root shell. See the README (What needs root) to run it as your own user.');
  const password = newPassword();
  const server = await startCodeServer({ dataDir, port, ...startServerSecurity(password) });
  const url = server.workbenchUrl(folder);
  let stopping = false;
  const stop = async () => {
    stopping = true;
    await server.stop();
    if (fresh) rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  server.process.once('exit', (code) => {
    if (stopping) return;
    console.error(`start: code-server exited (code ${code}); its log: ${server.logFile}`);
    process.exit(1);
  });

  const examples = folder === resolve(join(ROOT, 'examples'));
  console.log(
    `\nGradLens ${PACKAGE.version} in VS Code (code-server), serving ${relative(ROOT, folder) || '.'}:\n\n    ${url}\n    password: ${password}\n\n` +
      `Open it in a browser on this machine and log in with the password (a new one each run). VS Code asks once whether you trust the folder: ` +
      `${examples ? 'the examples are GradLens\' own, trust them' : 'answer No unless you know its authors'}; a folder not trusted opens in Restricted Mode, where GradLens still works. ` +
      `Log: ${relative(ROOT, server.logFile)}. Ctrl+C to stop.\n`,
  );
  if (flag('screenshot')) {
    try {
      await screenshot(url, password, examples);
    } catch (e) {
      console.error(`start: the screenshot failed: ${e instanceof Error ? e.message : String(e)}`);
      if (flag('exit')) {
        stopping = true;
        await server.stop();
        process.exit(1);
      }
    }
  }
  if (flag('exit')) await stop();
}

main().catch((e: unknown) => {
  console.error(`start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
