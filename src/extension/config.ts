// The extension's settings (package.json `contributes.configuration`), read in one place. The pure
// part — defaults, clamping to each setting's range, malformed values — is settings.ts; the
// defaults and limits themselves are src/core/defaults.ts. In Restricted Mode VS Code ignores the
// workspace's value of every resource limit (package.json `restrictedConfigurations`), so what
// arrives here is the user's.
import * as vscode from 'vscode';
import { resolveConfig, type GradLensConfig } from './settings';

export { analyzeOptions, checkOptions, type GradLensConfig, type LensDetail, type RunMode } from './settings';

export function readConfig(): GradLensConfig {
  const c = vscode.workspace.getConfiguration('gradlens');
  return resolveConfig((key) => c.get<unknown>(key));
}
