// The `debug-step` workload: one step of the debugger on a 50-layer net, as a DAP client sees it —
// a `next` request answered by the adapter (its response, the dashboard's event and the stopped
// event), then the stack trace, scopes and Locals variables VS Code asks for at every stop. The
// GradDebugSession runs in process, driven through its message API (what the worker and the stdio
// transport feed it), so the figure is the adapter's own time without the transport.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { GradDebugSession } from '../src/debug/gradDebugSession';

export interface DebugStepBench {
  run(): void;
  facts(): Record<string, number | string>;
}

export function prepareDebugStep(text: string): DebugStepBench {
  const program = join(mkdtempSync(join(tmpdir(), 'gradlens-bench-')), 'deep.grad');
  writeFileSync(program, text);
  const session = new GradDebugSession();
  const sent: DebugProtocol.ProtocolMessage[] = [];
  session.onDidSendMessage((m) => sent.push(m as DebugProtocol.ProtocolMessage));
  let seq = 1;
  /** A request, answered synchronously: the adapter's handlers never wait. */
  const ask = <T extends DebugProtocol.Response>(command: string, args?: unknown): T => {
    const from = sent.length;
    session.handleMessage({ seq: seq++, type: 'request', command, arguments: args } as DebugProtocol.Request);
    const r = sent.slice(from).find((m): m is T => m.type === 'response' && (m as T).command === command);
    if (!r?.success) throw new Error(`debug-step: ${command} failed: ${r?.message ?? 'no response'}`);
    return r;
  };
  ask('initialize', { adapterID: 'grad', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
  ask('launch', { program, stopOnEntry: true });
  ask('configurationDone');
  // How many `next`s from the entry to the last stop (one more would end the session).
  const stops = (): number => sent.filter((m) => (m as DebugProtocol.Event).event === 'stopped').length;
  let last = 0;
  for (;;) {
    const before = stops();
    const from = sent.length;
    ask('next', { threadId: 1 });
    if (sent.slice(from).some((m) => (m as DebugProtocol.Event).event === 'terminated')) throw new Error('debug-step: counted past the end');
    last++;
    if (stops() === before) throw new Error('debug-step: a step without a stop');
    if (isLast()) break;
  }
  function isLast(): boolean {
    // The last stop: its stack's top frame is the backward step of the first layer's product.
    const frame = ask<DebugProtocol.StackTraceResponse>('stackTrace', { threadId: 1 }).body.stackFrames[0];
    return frame.name.startsWith('backward @: h1 =');
  }
  let at = last;
  let forward = false;
  let sizes = { frames: 0, scopes: 0, locals: 0 };
  return {
    // Back and forth over the whole walk: every step is a step somewhere in the run.
    run() {
      if (at === last) forward = false;
      if (at === 0) forward = true;
      ask(forward ? 'next' : 'stepBack', { threadId: 1 });
      at += forward ? 1 : -1;
      const frames = ask<DebugProtocol.StackTraceResponse>('stackTrace', { threadId: 1 }).body.stackFrames;
      const scopes = ask<DebugProtocol.ScopesResponse>('scopes', { frameId: frames[0].id }).body.scopes;
      const locals = scopes.find((s) => s.name === 'Locals');
      const vars = locals ? ask<DebugProtocol.VariablesResponse>('variables', { variablesReference: locals.variablesReference }).body.variables : [];
      sizes = { frames: frames.length, scopes: scopes.length, locals: vars.length };
      sent.length = 0;
    },
    facts: () => ({ steps: last, ...sizes }),
  };
}
