// `npm run test:integration`: runs the integration suite inside code-server's extension host,
// offline. The workbench URL's `payload` carries extensionDevelopmentPath (this repository) and
// extensionTestsPath (out/integration/runner/index.js), exactly what `code --extensionDevelopmentPath
// --extensionTestsPath` does on a desktop; Chromium (playwright-core) opens that URL. The runner in
// the extension host writes JSON lines to GRADLENS_TEST_REPORT (the server's environment reaches its
// extension host); this driver prints them as they come and exits non-zero on a failure, on no
// tests, on a timeout, or when the host never reports back.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CODE_SERVER_ENTRY, QUIET_SETTINGS, ROOT, ensureTools, freePort, launchChromium, startCodeServer } from '../../../scripts/codeServer';
import type { ReportEvent } from './index';

const TIMEOUT_MS = Number(process.env.GRADLENS_INTEGRATION_TIMEOUT_MS ?? 10 * 60_000);
const RESULTS = join(ROOT, 'test-results');

function fail(message: string): never {
  console.error(`integration: ${message}`);
  process.exit(1);
}

function filesUnder(dir: string, pred: (p: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p, pred) : pred(p) ? [p] : [];
  });
}

function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}

async function main(): Promise<number> {
  const started = Date.now();
  ensureTools();
  const runnerJs = join(ROOT, 'out', 'integration', 'runner', 'index.js');
  if (!existsSync(join(ROOT, 'dist', 'extension.js'))) fail('dist/extension.js is missing: run `npm run build` first');
  if (!existsSync(runnerJs)) fail('out/integration is missing: run `node scripts/build-tests.mjs` first');

  rmSync(join(RESULTS, 'screenshots', 'integration-failure.png'), { force: true });
  const tmp = mkdtempSync(join(tmpdir(), 'gradlens-integration-'));
  const workspace = join(tmp, 'workspace');
  // A copy, so a test that saves cannot change the repository's examples.
  cpSync(join(ROOT, 'examples'), workspace, { recursive: true });
  const reportFile = join(tmp, 'report.jsonl');
  mkdirSync(join(RESULTS, 'summary'), { recursive: true }); // tests write their figures there
  const consoleLog: string[] = [];
  const port = await freePort();
  const server = await startCodeServer({
    dataDir: join(tmp, 'code-server'),
    port,
    // A throwaway server for this run's copy of the examples, driven by its own Chromium: no login page.
    auth: 'none',
    env: { GRADLENS_TEST_REPORT: reportFile, GRADLENS_RESULTS_DIR: join(RESULTS, 'summary') },
    // VS Code for the Web saves after a second by default: edits of the examples must stay unsaved.
    // The port finder off: every few seconds VS Code's extension host scans /proc and spawns a shell
    // (`ls -l /proc/[0-9]*/fd/[0-9]*`) looking for servers to forward, on its main thread — 20–60 ms
    // tasks in a profile of the typing burst that measure VS Code, not GradLens (scripts/longTasks.ts).
    // code-server has a tunnel provider, which keeps the finder on unless its source is `output`.
    settings: { ...QUIET_SETTINGS, 'files.autoSave': 'off' },
  });
  console.log(`integration: code-server ${relative(ROOT, CODE_SERVER_ENTRY)} on ${server.url} (data in ${tmp})`);

  const browser = await launchChromium();
  let automationExit: number | null = null;
  let passed = 0;
  let failed = 0;
  let pending = 0;
  let ended: ReportEvent | null = null;
  let problem: string | null = null;
  const failures: ReportEvent[] = [];
  /** Tests whose first try failed (mocha's retries: 1); they pass or fail on the second. */
  const retried: ReportEvent[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('console', (m) => consoleLog.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => consoleLog.push(`[pageerror] ${e.message}`));
    // The web workbench calls this when the test runner is done (VS Code's automation hook).
    await page.exposeFunction('codeAutomationExit', (code: number) => {
      automationExit = code;
    });
    const url = server.workbenchUrl(workspace, [
      ['extensionDevelopmentPath', server.remoteUri(ROOT)],
      ['extensionTestsPath', server.remoteUri(runnerJs)],
    ]);
    await page.goto(url);

    let offset = 0;
    const deadline = Date.now() + TIMEOUT_MS;
    const readReport = () => {
      if (!existsSync(reportFile)) return;
      const text = readFileSync(reportFile, 'utf8');
      const complete = text.slice(offset, text.lastIndexOf('\n') + 1);
      offset += complete.length;
      for (const line of complete.split('\n').filter(Boolean)) {
        const e = JSON.parse(line) as ReportEvent;
        if (e.event === 'start') console.log(`integration: ${e.total} test(s) in the extension host`);
        else if (e.event === 'pass') {
          passed++;
          console.log(`  ✔ ${e.title} (${e.durationMs} ms)`);
        } else if (e.event === 'retry') {
          retried.push(e);
          console.log(`  ↻ RETRYING ${e.title}: its first try failed\n      ${e.error?.split('\n').join('\n      ')}`);
        } else if (e.event === 'pending') {
          pending++;
          console.log(`  - SKIPPED ${e.title}`);
        } else if (e.event === 'fail') {
          failed++;
          failures.push(e);
          console.log(`  ✖ ${e.title}\n      ${e.error?.split('\n').join('\n      ')}`);
        } else if (e.event === 'end') ended = e;
      }
    };
    for (;;) {
      readReport();
      if (ended) break;
      if (automationExit !== null) {
        readReport();
        if (!ended) problem = `the extension host ended the tests (exit ${automationExit}) without a result: the runner did not load or crashed`;
        break;
      }
      if (server.process.exitCode !== null) {
        problem = 'code-server exited during the tests';
        break;
      }
      if (Date.now() > deadline) {
        problem = `timed out after ${TIMEOUT_MS / 1000} s (${passed} passed, ${failed} failed so far)`;
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    // The workbench reports the runner's outcome right after the last event; give it a moment.
    const exitDeadline = Date.now() + 10_000;
    while (!problem && automationExit === null && Date.now() < exitDeadline) await new Promise((r) => setTimeout(r, 100));
    if (!problem && automationExit === null) problem = 'the workbench never reported the end of the tests (codeAutomationExit)';

    if (problem || failed > 0) {
      mkdirSync(join(RESULTS, 'screenshots'), { recursive: true });
      const shot = join(RESULTS, 'screenshots', 'integration-failure.png');
      await page.screenshot({ path: shot }).catch(() => undefined);
      console.log(`integration: screenshot of the workbench at the end: ${relative(ROOT, shot)}`);
    }
  } finally {
    await browser.close().catch(() => undefined);
    await server.stop();
  }

  const ok = !problem && failed === 0 && passed > 0 && automationExit === 0;
  if (!ok) {
    if (problem) console.error(`integration: ${problem}`);
    else if (passed === 0 && failed === 0) console.error('integration: no test ran');
    else if (failed === 0 && automationExit !== 0) console.error(`integration: the extension host reported exit code ${automationExit}`);
    // What the host said: often why the runner could not load or an extension failed to activate.
    const hostLogs = filesUnder(join(tmp, 'code-server', 'user', 'logs'), (p) => /exthost|remoteexthost|remoteagent/i.test(p) && p.endsWith('.log'));
    for (const f of hostLogs) console.error(`--- ${relative(tmp, f)} (last lines)\n${tail(readFileSync(f, 'utf8'), 40)}`);
    console.error(`--- code-server.log (last lines)\n${tail(readFileSync(server.logFile, 'utf8'), 30)}`);
    const errors = consoleLog.filter((l) => /^\[(error|pageerror)\]/.test(l));
    if (errors.length) console.error(`--- browser console errors\n${errors.slice(-30).join('\n')}`);
  }
  // The failures again, after the host's logs: a CI log that keeps only its tail still names them.
  for (const r of retried) console.error(`integration: RETRIED ${r.title} (first try: ${(r.error ?? '').split('\n')[0]})`);
  for (const f of failures) console.error(`integration: FAILED ${f.title}\n      ${(f.error ?? '').split('\n').slice(0, 6).join('\n      ')}`);
  mkdirSync(join(RESULTS, 'summary'), { recursive: true });
  const failedTitles = failures.map((f) => f.title ?? '(untitled)').concat(problem ? [problem] : []);
  writeFileSync(join(RESULTS, 'summary', 'integration.json'), JSON.stringify({ passed, failed: failed + (ok ? 0 : failed === 0 ? 1 : 0), skipped: pending, failedTitles, retriedTitles: retried.map((r) => r.title ?? '(untitled)') }));
  console.log(`integration: ${passed} passed, ${failed} failed, ${pending} skipped in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (ok && !process.env.GRADLENS_KEEP_TMP) rmSync(tmp, { recursive: true, force: true });
  else console.log(`integration: kept ${tmp}`);
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`integration: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
