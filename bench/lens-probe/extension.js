// The control of the edit-latency benchmark: one code lens on the first line of every plain-text
// file, whose title is the document's version, computed synchronously. Whatever time passes
// between a keystroke and the new title is VS Code's own scheduling (bench/editLatency.ts).
const vscode = require('vscode');

exports.activate = (context) => {
  context.subscriptions.push(
    vscode.languages.registerCodeLensProvider({ language: 'plaintext' }, {
      provideCodeLenses(document) {
        return [new vscode.CodeLens(new vscode.Range(0, 0, 0, 0), { title: `probe v${document.version}`, command: '' })];
      },
    }),
  );
};
