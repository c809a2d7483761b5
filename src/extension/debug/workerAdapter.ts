// VS Code's side of the debug adapter: a `vscode.DebugAdapter` (run inline by VS Code) that only
// forwards DAP messages to and from the adapter in a worker thread (dist/debug.js), so recording
// and stepping a network never block the extension host's main thread. A worker that dies ends the
// session with a message instead of leaving it hanging.
import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';

export class WorkerDebugAdapter implements vscode.DebugAdapter {
  private readonly emitter = new vscode.EventEmitter<vscode.DebugProtocolMessage>();
  readonly onDidSendMessage = this.emitter.event;
  private readonly worker: Worker;
  private disposed = false;

  constructor(script: string, log: vscode.LogOutputChannel) {
    this.worker = new Worker(script, { name: 'GradLens debug adapter' });
    this.worker.on('message', (m: vscode.DebugProtocolMessage) => this.emitter.fire(m));
    this.worker.on('error', (e) => {
      log.error(`[debug] ${e.message}`);
      this.end(`GradLens: the debug adapter stopped: ${e.message}\n`);
    });
    this.worker.on('exit', (code) => {
      if (!this.disposed) this.end(`GradLens: the debug adapter exited (code ${code})\n`);
    });
  }

  handleMessage(message: vscode.DebugProtocolMessage): void {
    if (!this.disposed) this.worker.postMessage(message);
  }

  private end(text: string): void {
    if (this.disposed) return;
    this.emitter.fire({ seq: 0, type: 'event', event: 'output', body: { category: 'stderr', output: text } } as vscode.DebugProtocolMessage);
    this.emitter.fire({ seq: 0, type: 'event', event: 'terminated' } as vscode.DebugProtocolMessage);
  }

  dispose(): void {
    this.disposed = true;
    void this.worker.terminate();
    this.emitter.dispose();
  }
}
