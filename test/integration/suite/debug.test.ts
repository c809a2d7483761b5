// The debugger inside VS Code: a session started with vscode.debug.startDebugging runs the adapter
// (in a worker of the extension host, through the inline adapter), stops at breakpoints set through
// the API, answers DAP requests sent with the session's customRequest (stack, scopes, variables,
// evaluate, steps), and tells the dashboards where it is.
import * as assert from 'node:assert/strict';
import { suite, suiteSetup, teardown, test } from 'mocha';
import * as vscode from 'vscode';
import { activateExtension, exampleUri, openExample, resetEditors, waitFor, type GradLensApi } from './helpers';

interface Stop {
  session: vscode.DebugSession;
  reason: string;
}

/** Every `stopped` event of `grad` sessions, seen by a tracker (the API has no stop event). */
const stops: Stop[] = [];
const ended = new Set<string>();
let tracker: vscode.Disposable | undefined;

function lineOf(doc: vscode.TextDocument, needle: string): number {
  for (let i = 0; i < doc.lineCount; i++) {
    const t = doc.lineAt(i).text;
    if (!t.trimStart().startsWith('#') && t.includes(needle)) return i;
  }
  throw new Error(`no line with ${needle}`);
}

/** A frame's source path as a file path (code-server's remote host hands it back as a vscode-remote URI). */
function pathOf(p: string): string {
  return p.includes('://') ? vscode.Uri.parse(p).path : p;
}

async function nextStop(count: number, what: string): Promise<Stop> {
  await waitFor(what, () => stops.length, (n) => n >= count, { timeoutMs: 30_000 });
  return stops[count - 1];
}

async function topFrame(session: vscode.DebugSession): Promise<{ id: number; name: string; line: number; source: { path: string } }> {
  const r = (await session.customRequest('stackTrace', { threadId: 1 })) as { stackFrames: { id: number; name: string; line: number; source: { path: string } }[] };
  return r.stackFrames[0];
}

async function scope(session: vscode.DebugSession, name: string): Promise<Record<string, string>> {
  const frame = await topFrame(session);
  const { scopes } = (await session.customRequest('scopes', { frameId: frame.id })) as { scopes: { name: string; variablesReference: number }[] };
  const s = scopes.find((x) => x.name === name);
  assert.ok(s, `no scope ${name}: ${scopes.map((x) => x.name).join(', ')}`);
  const { variables } = (await session.customRequest('variables', { variablesReference: s.variablesReference })) as { variables: { name: string; value: string }[] };
  return Object.fromEntries(variables.map((v) => [v.name, v.value]));
}

async function endSessions(): Promise<void> {
  const s = vscode.debug.activeDebugSession;
  if (s) {
    await vscode.debug.stopDebugging(s);
    await waitFor('the session to end', () => vscode.debug.activeDebugSession, (a) => a === undefined);
  }
}

suite('debugger', () => {
  let api: GradLensApi;

  suiteSetup(async () => {
    api = await activateExtension();
    tracker?.dispose();
    tracker = vscode.debug.registerDebugAdapterTrackerFactory('grad', {
      createDebugAdapterTracker: (session) => ({
        onDidSendMessage: (m: { type?: string; event?: string; body?: { reason?: string } }) => {
          if (m.type === 'event' && m.event === 'stopped') stops.push({ session, reason: m.body?.reason ?? '' });
          if (m.type === 'event' && m.event === 'terminated') ended.add(session.id);
        },
      }),
    });
  });

  teardown(async () => {
    await endSessions();
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    stops.length = 0;
    await resetEditors();
  });

  test('startDebugging on the circuit: a breakpoint set through the API, q = 3, then the backward pass', async () => {
    const { document: doc } = await openExample('circuit.grad');
    const F = lineOf(doc, 'f = q * z');
    vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(doc.uri, new vscode.Position(F, 0)))]);
    const started = await vscode.debug.startDebugging(vscode.workspace.workspaceFolders?.[0], { type: 'grad', name: 'circuit', request: 'launch', program: doc.uri.fsPath, stopOnEntry: false });
    assert.ok(started, 'the session started');
    const stop = await nextStop(1, 'the breakpoint');
    assert.equal(stop.reason, 'breakpoint');
    const session = stop.session;
    assert.equal(session.type, 'grad');
    let top = await topFrame(session);
    assert.equal(top.name, 'forward f = q * z');
    assert.equal(top.line, F + 1);
    assert.equal(pathOf(top.source.path), doc.uri.path);
    assert.equal((await scope(session, 'Locals')).q, '3');
    const watch = (await session.customRequest('evaluate', { expression: 'q * z', frameId: top.id, context: 'watch' })) as { result: string };
    assert.equal(watch.result, '-12');
    await session.customRequest('next', { threadId: 1 });
    await nextStop(2, 'the first backward stop');
    top = await topFrame(session);
    assert.equal(top.name, 'backward *: f = q * z');
    const grads = await scope(session, 'Gradients');
    assert.equal(grads.dq, '-4');
    assert.equal(grads.dz, '3');
    await session.customRequest('next', { threadId: 1 });
    await nextStop(3, 'the last stop');
    assert.equal((await scope(session, 'Gradients')).dx, '-4');
    await session.customRequest('stepBack', { threadId: 1 });
    await nextStop(4, 'the stop before');
    assert.equal((await topFrame(session)).name, 'backward *: f = q * z');
  });

  test('the dashboards follow the stops: the current node, the phase, the gradients computed so far', async () => {
    const { document: doc } = await openExample('circuit.grad');
    await vscode.commands.executeCommand('gradlens.openDashboard', doc.uri);
    assert.ok(await vscode.debug.startDebugging(undefined, { type: 'grad', name: 'circuit', request: 'launch', program: doc.uri.fsPath }));
    const entry = await nextStop(1, 'the entry');
    assert.equal(entry.reason, 'entry');
    const first = await waitFor('the dashboard to be told', () => api.debugView(), (v) => v !== null && v.program === doc.uri.fsPath);
    assert.equal(first?.phase, 'forward');
    assert.deepEqual(first?.grads, []);
    await entry.session.customRequest('stepOut', { threadId: 1 });
    await nextStop(2, 'the first backward stop');
    const backward = await waitFor('the backward stop', () => api.debugView(), (v) => v?.phase === 'backward');
    assert.equal(backward?.line, lineOf(doc, 'f = q * z'));
    assert.ok(backward && backward.current !== null && backward.done.includes(backward.current));
    await vscode.debug.stopDebugging(entry.session);
    await waitFor('the dashboards to be told the session ended', () => api.debugView(), (v) => v === null);
  });

  test('"Debug Gradients" and a configuration without a program debug the active file', async () => {
    const { document: doc } = await openExample('circuit.grad');
    assert.ok(await vscode.commands.executeCommand<boolean>('gradlens.debug'));
    const stop = await nextStop(1, 'the entry');
    assert.equal(stop.reason, 'entry');
    assert.equal(pathOf((await topFrame(stop.session)).source.path), doc.uri.path);
    await endSessions();
    assert.ok(await vscode.debug.startDebugging(undefined, { type: 'grad', name: 'no program', request: 'launch' }));
    const again = await nextStop(2, 'the entry of the second session');
    assert.equal(pathOf((await topFrame(again.session)).source.path), doc.uri.path);
  });

  test('a gate: step in walks the backward block line by line', async () => {
    const { document: doc } = await openExample('affine-gate.grad');
    vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(exampleUri('affine-gate.grad'), new vscode.Position(lineOf(doc, 'dW = X.T @ dout'), 0)))]);
    assert.ok(await vscode.debug.startDebugging(undefined, { type: 'grad', name: 'gate', request: 'launch', program: doc.uri.fsPath, stopOnEntry: false }));
    const stop = await nextStop(1, 'the breakpoint in the backward block');
    const frames = (await stop.session.customRequest('stackTrace', { threadId: 1 })) as { stackFrames: { name: string }[] };
    assert.deepEqual(frames.stackFrames.map((f) => f.name), ['backward affine › dW = X.T @ dout', 'backward scores = affine(h1, W2, b2)']);
    const top = await topFrame(stop.session);
    const dW = (await stop.session.customRequest('evaluate', { expression: 'X.T @ dout', frameId: top.id, context: 'repl' })) as { result: string };
    assert.match(dW.result, /^\[5, 3\] · norm /);
  });

  test('the walkthrough step debugs a copy of circuit.grad, stopping at its first statement', async () => {
    assert.ok(await vscode.commands.executeCommand<boolean>('gradlens.debugExample', 'circuit.grad'));
    const stop = await nextStop(1, 'the entry');
    assert.equal(stop.reason, 'entry');
    const top = await topFrame(stop.session);
    assert.equal(top.name, 'forward input x = -2');
    assert.match(pathOf(top.source.path), /examples\/circuit\.grad$/);
  });
});
