// The controls of the edit-latency benchmark, with no analysis behind them (bench/editLatency.ts):
// - one code lens on the first line of every plain-text file, whose title is the document's
//   version, computed synchronously: the time between a keystroke and the new title is VS Code's
//   own code-lens scheduling;
// - in a plain-text file named deco-*.txt, a text at the end of every line (as GradLens' values
//   at the line ends are drawn: one decoration type, a text per line) holding the document's
//   version, set in the same event that reports the edit: the time between a keystroke and the
//   new texts is VS Code's own way from a keystroke to the extension host and back to the screen.
const vscode = require('vscode');

exports.activate = (context) => {
  const lineEnds = vscode.window.createTextEditorDecorationType({
    after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('editorCodeLens.foreground'), fontStyle: 'italic' },
  });
  const draw = (editor) => {
    const doc = editor.document;
    if (!/(^|[\\/])deco-[^\\/]*\.txt$/.test(doc.fileName)) return;
    const options = [];
    for (let i = 0; i < doc.lineCount; i++) {
      const end = doc.lineAt(i).range.end;
      options.push({ range: new vscode.Range(end, end), renderOptions: { after: { contentText: `probe v${doc.version} · line ${i + 1} · ‖v‖ ${(doc.version * 0.731 + i).toFixed(3)}` } } });
    }
    editor.setDecorations(lineEnds, options);
  };
  context.subscriptions.push(
    lineEnds,
    vscode.languages.registerCodeLensProvider({ language: 'plaintext' }, {
      provideCodeLenses(document) {
        return [new vscode.CodeLens(new vscode.Range(0, 0, 0, 0), { title: `probe v${document.version}`, command: '' })];
      },
    }),
    vscode.workspace.onDidChangeTextDocument((e) => {
      for (const editor of vscode.window.visibleTextEditors) if (editor.document === e.document) draw(editor);
    }),
    vscode.window.onDidChangeVisibleTextEditors((editors) => editors.forEach(draw)),
  );
  vscode.window.visibleTextEditors.forEach(draw);
};
