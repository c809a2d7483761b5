// The language server in a worker thread of VS Code's extension host: JSON-RPC over the worker's
// MessagePort (vscode-jsonrpc's port reader and writer), so the server never shares the extension
// host's main thread and needs no second process.
import { parentPort } from 'node:worker_threads';
import { createConnection, PortMessageReader, PortMessageWriter } from 'vscode-languageserver/node';
import { startServer } from './server';

if (!parentPort) throw new Error('the GradLens server bundle runs in a worker thread (use `gradlens lsp --stdio` elsewhere)');
startServer(createConnection(new PortMessageReader(parentPort), new PortMessageWriter(parentPort)));
