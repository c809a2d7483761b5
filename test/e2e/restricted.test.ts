// Untrusted workspaces: GradLens runs no code from a workspace (a .grad file is only analysed by
// the built-in engine), so it declares full support for Restricted Mode. This starts a code-server
// of its own with workspace trust on, opens a copy of the examples untrusted, and checks that the
// extension still works there: squiggles, code lenses and the dashboard.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PACKAGE, QUIET_SETTINGS, ROOT, freePort, installVsix, startCodeServer, type CodeServer } from '../../scripts/codeServer';
import { E2E_SETTINGS, Workbench } from './workbench';

describe('GradLens in Restricted Mode (an untrusted workspace)', () => {
  let server: CodeServer;
  let wb: Workbench;
  const step = (name: string, fn: () => Promise<void>) => it(name, () => wb.guard(name, fn));

  before(async () => {
    const tmp = process.env.GRADLENS_E2E_TMP as string;
    const dataDir = join(tmp, 'code-server-restricted');
    mkdirSync(dataDir, { recursive: true });
    installVsix(process.env.GRADLENS_VSIX ?? join(ROOT, `${PACKAGE.name}-${PACKAGE.version}.vsix`), dataDir);
    const trust = {
      'security.workspace.trust.enabled': true,
      'security.workspace.trust.startupPrompt': 'never',
      'security.workspace.trust.banner': 'always',
      'security.workspace.trust.untrustedFiles': 'open',
      'security.workspace.trust.emptyWindow': false,
    };
    server = await startCodeServer({ dataDir, port: await freePort(), auth: 'none' /* a throwaway test server */, settings: { ...QUIET_SETTINGS, ...E2E_SETTINGS, ...trust }, workspaceTrust: true });
    wb = await Workbench.open('restricted', server.url);
  });
  after(async () => {
    await wb?.close();
    await server?.stop();
  });

  step('the window is in Restricted Mode', async () => {
    await wb.waitForText(wb.page.locator('.statusbar, .monaco-workbench'), /Restricted Mode/, 'the Restricted Mode indicator');
  });

  step('diagnostics, code lenses and the values at the line ends still appear', async () => {
    await wb.quickOpen('broken/wrong-sign.grad');
    await wb.waitForCount(wb.editor.locator('.squiggly-error'), (n) => n > 0, 'error squiggles in Restricted Mode', 30_000);
    await wb.waitForCount(wb.editor.locator('.codelens-decoration'), (n) => n >= 1, 'the gate lens in Restricted Mode', 30_000);
    await wb.quickOpen('circuit.grad');
    await wb.waitForLineEnds((t) => t.includes('f: value -12 · ∂f 1'), 'the value of f at the end of its line', 30_000);
    await wb.screenshot('restricted-mode');
  });

  step('the dashboard opens in Restricted Mode', async () => {
    await wb.runCommand('GradLens: Open Dashboard');
    const frame = await wb.webviewFrame('.header .hdr-file', 'the dashboard panel webview');
    await wb.waitForText(frame.locator('.header .hdr-file'), 'circuit.grad', 'the dashboard header to name the file');
  });
});
