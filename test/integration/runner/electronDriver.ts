// `npm run test:vscode`: the same integration suite in desktop VS Code through @vscode/test-electron,
// the standard path for extension authors. It downloads VS Code (into .vscode-test/) unless
// VSCODE_EXECUTABLE names an installed one, so it needs a network that reaches Microsoft's update
// service, or that executable; on Linux without a display run it under `xvfb-run -a`.
//   VSCODE_EXECUTABLE=/path/to/code   use this VS Code instead of downloading
//   VSCODE_VERSION=1.100.3            version to download (default: stable)
import { runTests } from '@vscode/test-electron';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../../scripts/codeServer';
import type { ReportEvent } from './index';

async function main(): Promise<number> {
  const extensionTestsPath = join(ROOT, 'out', 'integration', 'runner', 'index.js');
  if (!existsSync(join(ROOT, 'dist', 'extension.js')) || !existsSync(extensionTestsPath)) {
    console.error('test:vscode: build first (npm run build && node scripts/build-tests.mjs)');
    return 1;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'gradlens-vscode-'));
  const workspace = join(tmp, 'workspace');
  cpSync(join(ROOT, 'examples'), workspace, { recursive: true });
  const executable = process.env.VSCODE_EXECUTABLE;
  const reportFile = join(tmp, 'report.jsonl');
  try {
    const code = await runTests({
      ...(executable ? { vscodeExecutablePath: executable } : { version: process.env.VSCODE_VERSION ?? 'stable' }),
      extensionDevelopmentPath: ROOT,
      extensionTestsPath,
      extensionTestsEnv: { GRADLENS_TEST_REPORT: reportFile },
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes', '--user-data-dir', join(tmp, 'user'), '--extensions-dir', join(tmp, 'extensions')],
    });
    // Exit 0 is not enough: the runner must have reported tests that ran and passed.
    const events = existsSync(reportFile) ? readFileSync(reportFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ReportEvent) : [];
    const end = events.find((e) => e.event === 'end');
    if (!end || !end.passes || end.failures) {
      console.error(`test:vscode: VS Code exited ${code} but the suite reported ${end ? `${end.passes} passed, ${end.failures} failed` : 'nothing'}`);
      return 1;
    }
    console.log(`test:vscode: ${end.passes} passed, ${end.failures} failed, ${end.pending} skipped`);
    return code;
  } catch (e) {
    // runTests rejects when VS Code exits non-zero (a failed test) or cannot be downloaded or started.
    console.error(`test:vscode: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code));
