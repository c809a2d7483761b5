// Launch configurations of type `grad`: F5 on a .grad file with no launch.json debugs that file
// (stopping at its first statement), a launch.json's configuration gets the active file when it
// names none, and an unsaved new file is refused with the reason (the adapter runs the file on disk).
import * as vscode from 'vscode';
import { LANGUAGE_ID } from '../client/startClient';

export const DEBUG_TYPE = 'grad';

export function launchConfiguration(program: string): vscode.DebugConfiguration {
  return { type: DEBUG_TYPE, request: 'launch', name: 'Debug Gradients', program, stopOnEntry: true };
}

function activeGradDocument(): vscode.TextDocument | undefined {
  const d = vscode.window.activeTextEditor?.document;
  return d?.languageId === LANGUAGE_ID ? d : undefined;
}

export class GradConfigurationProvider implements vscode.DebugConfigurationProvider {
  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return [launchConfiguration('${file}')];
  }

  resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.DebugConfiguration | undefined {
    const doc = activeGradDocument();
    // F5 with no launch.json: an empty configuration.
    if (!config.type && !config.request && !config.name) {
      if (!doc) {
        void vscode.window.showInformationMessage('GradLens: open a .grad file to debug it.');
        return undefined;
      }
      config = launchConfiguration(doc.uri.fsPath);
    }
    if (!config.program) {
      if (!doc) {
        void vscode.window.showErrorMessage('GradLens: set "program" in the launch configuration to the .grad file to debug.');
        return undefined;
      }
      config.program = doc.uri.fsPath;
    }
    const target = config.program === '${file}' ? vscode.window.activeTextEditor?.document : undefined;
    if (target?.isUntitled || (typeof config.program === 'string' && config.program.startsWith('untitled:'))) {
      void vscode.window.showErrorMessage('GradLens: save the file first — the debugger runs the file on disk.');
      return undefined;
    }
    return config;
  }
}
