// `gradlens lsp --stdio`: the same language server over standard input and output, for Neovim,
// Helix, Emacs, Zed and any other LSP client.
import { createConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-languageserver/node';
import { startServer } from './server';

export function runStdioServer(): void {
  startServer(createConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout)));
}
