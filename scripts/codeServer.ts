// Starting a real VS Code offline: code-server (the pinned install from scripts/setup-tools.sh)
// on 127.0.0.1 with its own user-data and extensions dirs, and Debian's Chromium driven by
// playwright-core. Shared by the integration driver, the end-to-end tests and `npm start`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { codeServerLaunch, writeConfigFile, type CodeServerAuth } from './codeServerLaunch';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const TOOLS_DIR = process.env.GRADLENS_TOOLS_DIR ?? join(ROOT, '.tools');
export const CODE_SERVER_ENTRY = join(TOOLS_DIR, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const CHROMIUM = process.env.GRADLENS_CHROMIUM ?? '/usr/bin/chromium';
export const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; publisher: string; version: string };
export const EXTENSION_ID = `${PACKAGE.publisher}.${PACKAGE.name}`;

/** Runs scripts/setup-tools.sh when code-server or Chromium is missing; fails saying what is. */
export function ensureTools(): void {
  if (!existsSync(CODE_SERVER_ENTRY) || !existsSync(join(TOOLS_DIR, 'code-server', '.installed')) || !existsSync(CHROMIUM)) {
    const r = spawnSync('bash', [join(ROOT, 'scripts', 'setup-tools.sh')], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('scripts/setup-tools.sh failed');
  }
  if (!existsSync(CODE_SERVER_ENTRY)) throw new Error(`code-server is not installed (${CODE_SERVER_ENTRY}); run: bash scripts/setup-tools.sh`);
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}; run as root: bash scripts/setup-tools.sh (or set GRADLENS_CHROMIUM)`);
}

/** `preferred` if it is free on 127.0.0.1, else a port the system picks. */
export async function freePort(preferred?: number): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | null>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(null));
      srv.listen(port, '127.0.0.1', () => {
        const addr = srv.address();
        const p = typeof addr === 'object' && addr ? addr.port : null;
        srv.close(() => resolve(p));
      });
    });
  if (preferred !== undefined) {
    const p = await tryListen(preferred);
    if (p !== null) return p;
  }
  const p = await tryListen(0);
  if (p === null) throw new Error('no free port on 127.0.0.1');
  return p;
}

/** User settings for a quiet, deterministic workbench: no welcome page, tips, trust prompt or updates. */
export const QUIET_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'chat.commandCenter.enabled': false,
  'window.restoreWindows': 'none',
  'files.hotExit': 'off',
  // VS Code's port auto-forwarding finds candidate ports by scanning processes from the extension
  // host: every 2 s or more it spawns `ls -l /proc/[0-9]*/fd/[0-9]*` and `ps -F -A -l`, and each
  // spawn blocks the host's main thread for the fork of a several-hundred-MB process (12–190 ms
  // measured here, load ~10) and the scan takes a core meanwhile. Not GradLens' work: off, so the
  // tests and the bench measure ours ('output' finds ports from terminal output instead).
  'remote.autoForwardPorts': false,
  'remote.autoForwardPortsSource': 'output',
};

export function writeUserSettings(userDataDir: string, settings: Record<string, unknown>): void {
  const dir = join(userDataDir, 'User');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'settings.json'), JSON.stringify(settings, null, 2));
}

export interface CodeServerOptions {
  /** Holds user/ (user-data-dir), extensions/ and code-server.log. */
  dataDir: string;
  port: number;
  /** Extra environment for the server and so for its extension host. */
  env?: NodeJS.ProcessEnv;
  settings?: Record<string, unknown>;
  /** Print the server's output instead of writing it to dataDir/code-server.log. */
  inheritOutput?: boolean;
  /** Keep workspace trust on (a folder opens in Restricted Mode until trusted). */
  workspaceTrust?: boolean;
  /** A password (`npm start`), or 'none' for a test driver's throwaway server: see codeServerLaunch.ts. */
  auth: CodeServerAuth;
}

export interface CodeServer {
  url: string;
  port: number;
  logFile: string;
  userDataDir: string;
  extensionsDir: string;
  /** The workbench URL that opens `folder` (and passes `payload`, VS Code's [key, value] pairs). */
  workbenchUrl(folder: string, payload?: [string, string][]): string;
  /** The URI the workbench uses for a server-side path (its remote authority is the page's host). */
  remoteUri(path: string): string;
  stop(): Promise<void>;
  process: ChildProcess;
}

export function codeServerDirs(dataDir: string): { userDataDir: string; extensionsDir: string } {
  return { userDataDir: join(dataDir, 'user'), extensionsDir: join(dataDir, 'extensions') };
}

/** `--install-extension` of a .vsix into the extensions dir of `dataDir` (what a user does with `code --install-extension`). */
export function installVsix(vsix: string, dataDir: string): void {
  const { userDataDir, extensionsDir } = codeServerDirs(dataDir);
  mkdirSync(userDataDir, { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  const r = spawnSync(process.execPath, [CODE_SERVER_ENTRY, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--force', '--install-extension', vsix], { encoding: 'utf8' });
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0 || !/successfully installed/i.test(out)) throw new Error(`installing ${vsix} into code-server failed (exit ${r.status}):\n${out}`);
}

export async function startCodeServer(o: CodeServerOptions): Promise<CodeServer> {
  const { userDataDir, extensionsDir } = codeServerDirs(o.dataDir);
  mkdirSync(userDataDir, { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  if (o.settings) writeUserSettings(userDataDir, o.settings);
  const logFile = join(o.dataDir, 'code-server.log');
  const configFile = join(o.dataDir, 'config.yaml');
  const launch = codeServerLaunch({
    entry: CODE_SERVER_ENTRY,
    configFile,
    userDataDir,
    extensionsDir,
    port: o.port,
    auth: o.auth,
    workspaceTrust: o.workspaceTrust ?? false,
    env: { ...process.env, ...o.env },
  });
  // Its own config file (code-server would otherwise write ~/.config/code-server/config.yaml),
  // readable by this user only: it may hold the password.
  writeConfigFile(configFile, launch.configYaml);
  const args = launch.args;
  const fd = o.inheritOutput ? 'inherit' : openSync(logFile, 'a');
  // Its own process group, so stop() ends the extension host and the other children too.
  const child = spawn(process.execPath, args, {
    cwd: o.dataDir,
    // No extension gallery (EXTENSIONS_GALLERY): there is no network to reach it, and nothing here should try.
    env: launch.env,
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  const url = `http://127.0.0.1:${o.port}`;
  let exited: string | null = null;
  child.once('exit', (code, signal) => {
    exited = `code-server exited (code ${code}, signal ${signal})`;
  });

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      return;
    }
    const t = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 5000);
    await gone;
    clearTimeout(t);
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`${exited} before it answered; see ${logFile}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer on ${url} within 60 s; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  const host = `127.0.0.1:${o.port}`;
  return {
    url,
    port: o.port,
    logFile,
    userDataDir,
    extensionsDir,
    process: child,
    remoteUri: (path) => `vscode-remote://${host}${encodeURI(path)}`,
    workbenchUrl: (folder, payload) => {
      // Slashes left readable: the URL is printed for people to open.
      let q = `folder=${encodeURIComponent(folder).replace(/%2F/g, '/')}`;
      if (payload) q += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
      return `${url}/?${q}`;
    },
    stop,
  };
}

/** Debian's Chromium, headless, with the flags that keep it off the (closed) network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

/** Waits for the workbench to be up: the editor area and the activity bar rendered. */
export async function waitForWorkbench(page: Page, timeoutMs = 90_000): Promise<void> {
  await page.waitForSelector('.monaco-workbench .part.editor', { timeout: timeoutMs });
  await page.waitForSelector('.monaco-workbench .part.activitybar', { timeout: timeoutMs });
}
