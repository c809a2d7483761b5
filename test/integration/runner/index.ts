// The mocha bootstrap VS Code loads as `extensionTestsPath`: it runs every suite/*.test.js inside
// the extension host, whichever host started it (@vscode/test-electron, or code-server through the
// workbench URL payload). Results go to the console (spec reporter) and, when GRADLENS_TEST_REPORT
// names a file, to that file as JSON lines, because code-server's extension host console is not
// ours to read: the driver tails the file and decides the exit status from it.
import { appendFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';

export interface ReportEvent {
  event: 'start' | 'pass' | 'fail' | 'retry' | 'pending' | 'end';
  title?: string;
  durationMs?: number;
  error?: string;
  stack?: string;
  total?: number;
  passes?: number;
  failures?: number;
  pending?: number;
}

function testFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return testFiles(p);
      return name.endsWith('.test.js') ? [p] : [];
    })
    .sort();
}

export function run(): Promise<void> {
  const reportPath = process.env.GRADLENS_TEST_REPORT;
  const report = (e: ReportEvent) => {
    if (reportPath) appendFileSync(reportPath, JSON.stringify(e) + '\n');
  };
  if (reportPath) writeFileSync(reportPath, '');

  const mocha = new Mocha({
    ui: 'tdd',
    reporter: 'spec',
    color: !reportPath,
    // Each helper has its own, shorter timeout with a precise message; this one only stops a hang.
    timeout: 120_000,
    // A test that fails is run once more, and the first failure is reported by name either way
    // (the driver's closing lines and summary): the suite drives a whole workbench on a shared
    // machine, and a rare timing fault should say which test it hit without hiding it. A test
    // that fails twice fails the run.
    retries: 1,
    ...(process.env.GRADLENS_TEST_GREP ? { grep: process.env.GRADLENS_TEST_GREP } : {}),
  });
  const suiteDir = join(__dirname, '..', 'suite');
  const files = testFiles(suiteDir);
  for (const f of files) mocha.addFile(f);

  return new Promise((resolve, reject) => {
    try {
      if (files.length === 0) throw new Error(`no *.test.js files in ${suiteDir}`);
      const runner = mocha.run((failures) => {
        const s = runner.stats;
        report({ event: 'end', total: runner.total, passes: s?.passes ?? 0, failures, pending: s?.pending ?? 0 });
        if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
        else if ((s?.passes ?? 0) === 0) reject(new Error('no integration test ran'));
        else resolve();
      });
      report({ event: 'start', total: runner.total });
      runner.on('pass', (t) => report({ event: 'pass', title: t.fullTitle(), durationMs: t.duration }));
      runner.on('retry', (t, err: Error) => report({ event: 'retry', title: t.fullTitle(), durationMs: t.duration, error: String(err?.message ?? err), stack: err?.stack }));
      runner.on('pending', (t) => report({ event: 'pending', title: t.fullTitle() }));
      runner.on('fail', (t, err: Error) => report({ event: 'fail', title: t.fullTitle(), durationMs: t.duration, error: String(err?.message ?? err), stack: err?.stack }));
    } catch (e) {
      report({ event: 'fail', title: 'loading the integration suite', error: String(e), stack: (e as Error).stack });
      report({ event: 'end', total: 0, passes: 0, failures: 1, pending: 0 });
      reject(e);
    }
  });
}
