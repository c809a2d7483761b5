// While a `grad` session is stopped: each name's value (and gradient so far) at the end of the
// line that defines it, asked of the session (the adapter knows the values at this stop).
import * as vscode from 'vscode';
import { INLINE_VALUES_REQUEST, parseInlineValues } from '../../shared/debugProtocol';
import { DEBUG_TYPE } from './configuration';

export class DebugInlineValues implements vscode.InlineValuesProvider {
  async provideInlineValues(document: vscode.TextDocument, _viewport: vscode.Range, context: vscode.InlineValueContext): Promise<vscode.InlineValue[]> {
    const session = vscode.debug.activeDebugSession;
    if (session?.type !== DEBUG_TYPE || session.configuration.program !== document.uri.fsPath) return [];
    const reply = parseInlineValues(await session.customRequest(INLINE_VALUES_REQUEST, { frameId: context.frameId }).then(undefined, () => null));
    if (!reply) return [];
    return reply.values
      .filter((v) => v.line < document.lineCount)
      .map((v) => {
        const end = document.lineAt(v.line).range.end;
        return new vscode.InlineValueText(new vscode.Range(end, end), v.text);
      });
  }
}
