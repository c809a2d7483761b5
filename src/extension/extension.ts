// Extension entry point: thin adapters over src/core (providers, commands, views) are wired here.
import type * as vscode from 'vscode';

export function activate(_context: vscode.ExtensionContext): void {
  // Features are registered by later modules.
}

export function deactivate(): void {}
