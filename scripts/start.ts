// `npm start`: GradLens in a real VS Code without installing VS Code. Installs the tools if
// missing, builds and packages the extension, installs the .vsix into a local code-server (one
// profile per port, kept in .tools/start/port-N/: see startProfile.ts), opens examples/ on
// 127.0.0.1 and prints the URL. Runs until Ctrl+C.
//   --port=N          port (default 8357, or GRADLENS_PORT; the next free one if taken)
//   --fresh           a new profile for this run only, removed when it stops
//   --folder=PATH     folder to open (default examples/)
//   --screenshot      also open the two-layer net in Chromium and save a screenshot of its lenses
//                     to test-results/screenshots/start-two-layer-net.png
//   --exit            stop after the screenshot (for checking `npm start` itself)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { PACKAGE, QUIET_SETTINGS, ROOT, TOOLS_DIR, ensureTools, freePort, installVsix, launchChromium, startCodeServer } from './codeServer';
import { startProfileDir } from './startProfile';

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const flag = (name: string) => process.argv.includes(`--${name}`);

async function screenshot(url: string): Promise<string> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(url);
    await page.locator('.monaco-workbench .part.editor').waitFor({ timeout: 90_000 });
    await page.locator('.explorer-folders-view', { hasText: 'two-layer-net.grad' }).waitFor({ timeout: 60_000 });
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill('two-layer-net.grad');
    await page.locator('.quick-input-list .monaco-list-row[data-index="0"]', { hasText: 'two-layer-net.grad' }).waitFor({ timeout: 20_000 });
    await page.keyboard.press('Enter');
    const lenses = page.locator('.part.editor .codelens-decoration');
    await lenses.nth(4).waitFor({ timeout: 60_000 });
    const dir = join(ROOT, 'test-results', 'screenshots');
    mkdirSync(dir, { recursive: true });
    const png = join(dir, 'start-two-layer-net.png');
    await page.screenshot({ path: png });
    console.log(`start: ${await lenses.count()} code lenses on two-layer-net.grad; screenshot ${relative(ROOT, png)}`);
    return png;
  } finally {
    await browser.close();
  }
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
  // Quiet defaults on first start only; later the profile is the user's own.
  const settingsExist = existsSync(join(dataDir, 'user', 'User', 'settings.json'));
  const server = await startCodeServer({ dataDir, port, ...(settingsExist ? {} : { settings: QUIET_SETTINGS }) });
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

  console.log(`\nGradLens ${PACKAGE.version} in VS Code (code-server), serving ${relative(ROOT, folder) || '.'}:\n\n    ${url}\n\nOpen it in a browser on this machine. Log: ${relative(ROOT, server.logFile)}. Ctrl+C to stop.\n`);
  if (flag('screenshot')) {
    try {
      await screenshot(url);
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
