// The debug adapter in a worker thread of VS Code's extension host: DAP messages as plain objects
// over the worker's port (no framing needed), so recording and stepping never run on the
// extension host's main thread. The extension's inline adapter forwards VS Code's messages here.
import { parentPort } from 'node:worker_threads';
import { logger } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { GradDebugSession, quietLogger } from './gradDebugSession';

const port = parentPort;
if (!port) throw new Error('the GradLens debug adapter bundle runs in a worker thread (use `gradlens dap` elsewhere)');
const session = new GradDebugSession();
// Listening makes the session "inline": a disconnect does not exit the process (the host ends the worker).
session.onDidSendMessage((m) => port.postMessage(m));
// Trace output (launch `trace: true`) goes to the debug console, as with `start()`.
logger.init((e) => session.sendEvent(e));
quietLogger();
port.on('message', (m: DebugProtocol.ProtocolMessage) => session.handleMessage(m));
