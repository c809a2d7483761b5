// Core positions and ranges → VS Code objects.
import * as vscode from 'vscode';
import type { Range as CoreRange } from '../core';

export function toRange(r: CoreRange): vscode.Range {
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}
