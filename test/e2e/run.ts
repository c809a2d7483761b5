// `npm run test:e2e`: installs the packaged .vsix (built by `npm run package` just before) into a
// throwaway code-server, starts it on 127.0.0.1, and runs test/e2e/*.test.ts (node:test; each file
// drives Debian's Chromium through playwright-core) against it. Installing the .vsix, not the
// source folder, means a package that lacks a file or does not start fails these tests.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { EXTENSION_ID, PACKAGE, QUIET_SETTINGS, ROOT, ensureTools, freePort, installVsix, startCodeServer } from '../../scripts/codeServer';
import { E2E_SETTINGS } from './workbench';
import { specSummary } from '../../scripts/specSummary.mjs';

const TIMEOUT_MS = Number(process.env.GRADLENS_E2E_TIMEOUT_MS ?? 15 * 60_000);
const RESULTS = join(ROOT, 'test-results');

async function main(): Promise<number> {
  const started = Date.now();
  ensureTools();
  const vsix = process.env.GRADLENS_VSIX ?? join(ROOT, `${PACKAGE.name}-${PACKAGE.version}.vsix`);
  if (!existsSync(vsix)) {
    console.error(`e2e: ${relative(ROOT, vsix)} not found: run \`npm run package\` first`);
    return 1;
  }
  // Screenshots of an earlier run would be mistaken for this one's.
  const shots = join(RESULTS, 'screenshots');
  if (existsSync(shots)) for (const f of readdirSync(shots)) if (!f.startsWith('integration-') && !f.startsWith('start-')) rmSync(join(shots, f));
  const tmp = mkdtempSync(join(tmpdir(), 'gradlens-e2e-'));
  const dataDir = join(tmp, 'code-server');
  installVsix(vsix, dataDir);
  const installed = join(dataDir, 'extensions', `${EXTENSION_ID}-${PACKAGE.version}`);
  if (!existsSync(join(installed, 'package.json'))) {
    console.error(`e2e: the .vsix did not install to ${installed}`);
    return 1;
  }
  console.log(`e2e: installed ${relative(ROOT, vsix)} into ${relative(tmp, installed)}`);

  const port = await freePort();
  const server = await startCodeServer({ dataDir, port, auth: 'none' /* a throwaway test server */, settings: { ...QUIET_SETTINGS, ...E2E_SETTINGS } });
  console.log(`e2e: code-server on ${server.url} (data in ${tmp})`);

  const files = readdirSync(join(ROOT, 'test', process.env.GRADLENS_E2E_DIR ?? 'e2e'))
    .filter((f) => f.endsWith('.test.ts'))
    // GRADLENS_E2E_FILES=graph,restricted runs only those files (while working on one of them).
    .filter((f) => !process.env.GRADLENS_E2E_FILES || process.env.GRADLENS_E2E_FILES.split(',').some((n) => f === `${n.trim()}.test.ts`))
    .sort()
    .map((f) => join('test', process.env.GRADLENS_E2E_DIR ?? 'e2e', f));
  const counts = { passed: 0, failed: 0, skipped: 0, failedTitles: [] as string[] };
  let exitCode = 1;
  try {
    exitCode = await new Promise<number>((resolve) => {
      // One file at a time: they share the server and its user settings (the colour theme).
      const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
        cwd: ROOT,
        env: { ...process.env, GRADLENS_E2E_URL: server.url, GRADLENS_E2E_TMP: tmp, GRADLENS_E2E_USER_DATA: server.userDataDir },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        process.stdout.write(b);
        out += b.toString();
      });
      const timer = setTimeout(() => {
        console.error(`e2e: timed out after ${TIMEOUT_MS / 1000} s`);
        child.kill('SIGKILL');
      }, TIMEOUT_MS);
      child.on('exit', (code) => {
        clearTimeout(timer);
        // The counts, and the failed tests' titles for the summary's last lines.
        Object.assign(counts, specSummary(out));
        resolve(code ?? 1);
      });
    });
  } finally {
    await server.stop();
  }
  if (exitCode !== 0 && counts.failed === 0) counts.failed = 1;
  if (exitCode === 0 && counts.passed === 0) {
    console.error('e2e: no test ran');
    exitCode = 1;
    counts.failed = 1;
  }
  if (exitCode !== 0) console.error(`e2e: code-server log: ${server.logFile}\n${readFileSync(server.logFile, 'utf8').split('\n').slice(-20).join('\n')}`);
  mkdirSync(join(RESULTS, 'summary'), { recursive: true });
  writeFileSync(join(RESULTS, 'summary', 'e2e.json'), JSON.stringify(counts));
  console.log(`e2e: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in test-results/screenshots/`);
  if (exitCode === 0 && !process.env.GRADLENS_KEEP_TMP) rmSync(tmp, { recursive: true, force: true });
  else console.log(`e2e: kept ${tmp}`);
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`e2e: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
