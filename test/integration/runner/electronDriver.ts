// `npm run test:vscode`: the same integration suite in desktop VS Code through @vscode/test-electron,
// the standard path for extension authors. It downloads VS Code (into .vscode-test/) unless
// VSCODE_EXECUTABLE names an installed one, so it needs a network that reaches Microsoft's update
// service, or that executable; on Linux without a display run it under `xvfb-run -a`.
//   VSCODE_EXECUTABLE=/path/to/code   use this VS Code instead of downloading
//   VSCODE_VERSION=1.100.3            version to download (default: stable)
import { runTests } from '@vscode/test-electron';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../../scripts/codeServer';

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
  try {
    const code = await runTests({
      ...(executable ? { vscodeExecutablePath: executable } : { version: process.env.VSCODE_VERSION ?? 'stable' }),
      extensionDevelopmentPath: ROOT,
      extensionTestsPath,
      extensionTestsEnv: { GRADLENS_TEST_REPORT: join(tmp, 'report.jsonl') },
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes', '--user-data-dir', join(tmp, 'user'), '--extensions-dir', join(tmp, 'extensions')],
    });
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
