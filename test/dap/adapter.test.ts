// The debug adapter as every client but VS Code runs it: `gradlens dap` over stdio, driven by
// @vscode/debugadapter-testsupport's DebugClient. Every request of issue 14 on the examples.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { DapClient, example } from './client';

const circuit = example('circuit.grad');
const lineOf = (file: string, needle: string) => readFileSync(file, 'utf8').split('\n').findIndex((l) => !l.trimStart().startsWith('#') && l.includes(needle)) + 1;
const scratch = mkdtempSync(join(tmpdir(), 'gradlens-dap-'));
function file(name: string, text: string): string {
  const p = join(scratch, name);
  writeFileSync(p, text);
  return p;
}

let dc: DapClient;
beforeEach(async () => {
  dc = new DapClient();
  await dc.start();
});
afterEach(async () => {
  await dc.stop();
});

test('initialize: the capabilities and the three exception filters; initialized comes after initialize, stops only after configurationDone', async () => {
  const init = await dc.initializeRequest();
  const caps = init.body ?? {};
  for (const k of ['supportsConfigurationDoneRequest', 'supportsStepBack', 'supportsConditionalBreakpoints', 'supportsHitConditionalBreakpoints', 'supportsLogPoints', 'supportsEvaluateForHovers', 'supportsExceptionInfoRequest', 'supportsRestartRequest'] as const) {
    assert.equal(caps[k], true, k);
  }
  assert.deepEqual(caps.exceptionBreakpointFilters?.map((f) => f.filter), ['nonfinite', 'gradcheck', 'dead-relu']);
  assert.ok(!dc.events.some((e) => e.event === 'initialized'), 'not before the launch');
  const initialized = dc.waitForEvent('initialized');
  await dc.launchRequest({ program: circuit } as DebugProtocol.LaunchRequestArguments);
  await initialized;
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(!dc.events.some((e) => e.event === 'stopped'), 'no stop before configurationDone');
  const stopped = dc.waitForEvent('stopped');
  await dc.configurationDoneRequest();
  assert.equal((await stopped).body.reason, 'entry');
});

test('the circuit: one thread; frames say the phase, with the program as source and 1-based lines', async () => {
  await Promise.all([dc.assertStoppedLocation('entry', { path: circuit, line: lineOf(circuit, 'input x') }), dc.begin({ program: circuit })]);
  const threads = await dc.threadsRequest();
  assert.deepEqual(threads.body.threads.map((t) => t.id), [1]);
  const top = await dc.top();
  assert.equal(top.name, 'forward input x = -2');
  assert.equal(top.source?.path, circuit);
});

test('at f = q * z, q is 3 in Locals and evaluates to 3 in the repl, watch and hover contexts', async () => {
  const F = lineOf(circuit, 'f = q * z');
  await dc.hitBreakpoint({ program: circuit, stopOnEntry: false }, { path: circuit, line: F });
  const locals = await dc.scope('Locals');
  assert.equal(locals.q.value, '3');
  assert.equal(locals.f.value, '-12');
  for (const context of ['repl', 'watch', 'hover'] as const) assert.equal((await dc.evaluate('q', context)).result, '3', context);
  assert.equal((await dc.evaluate('q * z + x')).result, '-14');
  await assert.rejects(dc.evaluate('q @ q'), /@/);
  await assert.rejects(dc.evaluate('dq'), /no value yet/);
});

test('backward: x gets -4 and z gets 3; stepBack returns exactly to the previous stop; every leaf final at the last stop', async () => {
  const F = lineOf(circuit, 'f = q * z');
  const Q = lineOf(circuit, 'q = x + y');
  await dc.hitBreakpoint({ program: circuit, stopOnEntry: false }, { path: circuit, line: F });
  await dc.step('next');
  let top = await dc.top();
  assert.equal(top.name, 'backward *: f = q * z');
  assert.equal(top.line, F);
  const step = await dc.scope('Backward step');
  assert.equal(step.dout.value, '1');
  assert.equal(step['→ dq'].value, '-4');
  assert.equal(step['→ dz'].value, '3');
  const before = await dc.scope('Gradients');
  assert.equal(before.dz.value, '3');
  await dc.step('next');
  top = await dc.top();
  assert.equal(top.name, 'backward +: q = x + y');
  assert.equal(top.line, Q);
  const grads = await dc.scope('Gradients');
  assert.equal(grads.dx.value, '-4');
  assert.equal(grads.dy.value, '-4');
  assert.equal(grads.dz.value, '3');
  const params = await dc.scope('Locals');
  assert.ok(params.x.variablesReference > 0, 'x expands to its value and grad');
  const children = await dc.variablesRequest({ variablesReference: params.x.variablesReference });
  assert.deepEqual(children.body.variables.map((v) => `${v.name}=${v.value}`), ['value=-2', 'grad=-4']);
  const back = await dc.step('stepBack');
  assert.equal(back.body.reason, 'step');
  top = await dc.top();
  assert.equal(top.name, 'backward *: f = q * z');
  assert.deepEqual(await dc.scope('Gradients'), before, 'the same gradients as at that stop');
  await dc.step('next');
  const terminated = dc.waitForEvent('terminated');
  await dc.send('next', { threadId: 1 });
  await terminated;
});

test('reverseContinue goes back to a breakpoint; restart re-reads the file and stops on entry', async () => {
  const Q = lineOf(circuit, 'q = x + y');
  await dc.hitBreakpoint({ program: circuit, stopOnEntry: false }, { path: circuit, line: Q });
  await dc.step('continue');
  assert.equal((await dc.top()).name, 'backward +: q = x + y');
  const rev = await dc.step('reverseContinue');
  assert.equal(rev.body.reason, 'breakpoint');
  assert.equal((await dc.top()).name, 'forward q = x + y');
  const program = file('restart.grad', 'input a = 2\nb = a * 3\n');
  const dc2 = new DapClient();
  await dc2.start();
  try {
    await dc2.beginAndStop({ program });
    writeFileSync(program, 'input a = 5\nb = a * 3\nc = b + 1\n');
    const stopped = dc2.waitForEvent('stopped');
    await dc2.restartRequest({ arguments: { program } } as DebugProtocol.RestartArguments);
    assert.equal((await stopped).body.reason, 'entry');
    assert.equal((await dc2.scope('Locals')).a.value, '5', 'the new text');
  } finally {
    await dc2.stop();
  }
});

test('next steps over a gate call, stepIn enters it (forward body, then the backward block), stepOut leaves it', async () => {
  const program = example('affine-gate.grad');
  await dc.hitBreakpoint({ program, stopOnEntry: false }, { path: program, line: lineOf(program, 'param b2') });
  await dc.step('stepIn');
  let frames = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
  assert.deepEqual(frames.map((f) => f.name), ['forward affine › out = X @ W + b', 'forward h1     = relu_layer(affine(X, W1, b1))']);
  assert.equal(frames[0].line, lineOf(program, 'out = X @ W + b'));
  assert.deepEqual(Object.keys(await dc.scope('Parameters')), ['X', 'W', 'b'], 'the gate’s inputs');
  await dc.step('stepOut');
  frames = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
  assert.equal(frames.length, 1);
  // The loss line's backward stop comes just before the scores line's call runs its block.
  await dc.setBreakpointsRequest({ source: { path: program }, breakpoints: [{ line: lineOf(program, 'loss   = softmax_ce') }] });
  for (;;) {
    await dc.step('continue');
    if ((await dc.top()).name.startsWith('backward')) break;
  }
  await dc.step('stepIn');
  const block: string[] = [];
  for (;;) {
    frames = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
    if (frames.length === 1) break;
    block.push(frames[0].name);
    await dc.step('next');
  }
  assert.deepEqual(block, ['backward affine › dX = dout @ W.T', 'backward affine › dW = X.T @ dout', 'backward affine › db = sum(dout, axis=0)']);
});

test('breakpoints: moved to the nearest statement with a message; another file is not verified', async () => {
  const initialized = dc.waitForEvent('initialized');
  await dc.launch({ program: circuit });
  await initialized;
  const r = await dc.setBreakpointsRequest({ source: { path: circuit }, breakpoints: [{ line: lineOf(circuit, 'q = x + y') - 1 }, { line: lineOf(circuit, 'f = q * z') }] });
  const [moved, exact] = r.body.breakpoints;
  assert.ok(moved.verified && moved.line === lineOf(circuit, 'q = x + y'));
  assert.match(moved.message ?? '', /moved to line/);
  assert.ok(exact.verified && exact.line === lineOf(circuit, 'f = q * z') && !exact.message);
  const other = await dc.setBreakpointsRequest({ source: { path: example('rnn.grad') }, breakpoints: [{ line: 3 }] });
  assert.equal(other.body.breakpoints[0].verified, false);
  const locations = await dc.send('breakpointLocations', { source: { path: circuit }, line: 1, endLine: 20 });
  assert.deepEqual((locations.body as DebugProtocol.BreakpointLocationsResponse['body']).breakpoints.map((b) => b.line), [8, 9, 10, 12, 13]);
});

test('conditional breakpoints, hit counts and logpoints', async () => {
  const Q = lineOf(circuit, 'q = x + y');
  const F = lineOf(circuit, 'f = q * z');
  await Promise.all([
    dc.waitForEvent('initialized').then(async () => {
      await dc.setBreakpointsRequest({ source: { path: circuit }, breakpoints: [{ line: Q, condition: 'dq < 0' }, { line: F, logMessage: 'f is {f}, q is {q}' }] });
      await dc.configurationDoneRequest();
    }),
    dc.launch({ program: circuit, stopOnEntry: false }),
  ]);
  const s = (await dc.waitForEvent('stopped')) as DebugProtocol.StoppedEvent;
  assert.equal(s.body.reason, 'breakpoint');
  assert.equal((await dc.top()).name, 'backward +: q = x + y', 'dq < 0 holds only once dq exists');
  const logs = dc.events.filter((e) => e.event === 'output').map((e) => (e.body as { output: string }).output);
  assert.ok(logs.includes('f is -12, q is 3\n'), JSON.stringify(logs));
  await dc.setBreakpointsRequest({ source: { path: circuit }, breakpoints: [{ line: F, hitCondition: '2' }] });
  await dc.step('reverseContinue');
  await dc.step('continue');
  assert.equal((await dc.top()).name, 'backward *: f = q * z', 'the second time the line stops');
});

test('variables: a tensor shows its shape and norm and expands to rows, paged, with value and grad', async () => {
  const program = example('two-layer-net.grad');
  await dc.beginAndStop({ program, stopOnEntry: false }, { breakpoints: { path: program, lines: [lineOf(program, 'h1     =')] } });
  await dc.step('continue'); // the backward pass reaches h1's line
  const params = await dc.scope('Parameters');
  const W1 = params.W1;
  assert.match(W1.value, /^\[10, 5\] · norm \d/);
  assert.equal(W1.type, 'float[D, H]');
  const pair = await dc.variablesRequest({ variablesReference: W1.variablesReference });
  assert.deepEqual(pair.body.variables.map((v) => v.name), ['value', 'grad']);
  const value = pair.body.variables[0];
  assert.equal(value.indexedVariables, 10);
  const page = await dc.variablesRequest({ variablesReference: value.variablesReference, filter: 'indexed', start: 4, count: 3 });
  assert.deepEqual(page.body.variables.map((v) => v.name), ['[4]', '[5]', '[6]']);
  assert.match(page.body.variables[0].value, /^\[-?\d.*, …\]$|^\[-?\d[^…]*\]$/);
  const row = await dc.variablesRequest({ variablesReference: page.body.variables[0].variablesReference });
  assert.equal(row.body.variables.length, 5);
  const y = (await dc.scope('Locals')).y;
  assert.equal(y.type, 'int[N]');
  const labels = await dc.variablesRequest({ variablesReference: y.variablesReference });
  assert.ok(labels.body.variables.every((v) => /^\d+$/.test(v.value)), 'int labels as integers');
  const sum = await dc.evaluate('sum(dW1, axis=0)', 'watch');
  assert.equal(sum.indexedVariables, 5);
});

test('nonfinite: a forward log of a negative number stops on its line with reason exception', async () => {
  const program = file('nan.grad', 'input x = -1\ny = log(x)\nloss = y * 2\n');
  await Promise.all([dc.assertStoppedLocation('exception', { path: program, line: 2 }), dc.begin({ program, stopOnEntry: false }, { filters: ['nonfinite'] })]);
  const info = await dc.exceptionInfoRequest({ threadId: 1 });
  assert.equal(info.body.exceptionId, 'nonfinite');
  assert.match(info.body.description ?? '', /`log` produced NaN.*x = -1/);
});

test('gradcheck: wrong-sign.grad stops at its wrong line (db = dout)', async () => {
  const program = example('broken/wrong-sign.grad');
  await Promise.all([dc.assertStoppedLocation('exception', { path: program, line: lineOf(program, 'db = dout') }), dc.begin({ program, stopOnEntry: false }, { filters: ['gradcheck'] })]);
  const info = await dc.exceptionInfoRequest({ threadId: 1 });
  assert.equal(info.body.exceptionId, 'gradcheck');
  assert.match(info.body.description ?? '', /gradient check failed for `db` of `difference`.*at \[\d\]/);
  assert.equal((await dc.top()).name, 'backward difference › db = dout');
});

test('dead-relu: a relu dead for the whole batch stops there', async () => {
  const program = file('dead.grad', 'input x: [4, 2] = [[-1, -2], [-3, -1], [-1, -1], [-2, -5]]\nh = relu(x)\nloss = sum(h)\n');
  await Promise.all([dc.assertStoppedLocation('exception', { path: program, line: 2 }), dc.begin({ program, stopOnEntry: false }, { filters: ['dead-relu'] })]);
});

test('a clean file with both filters on and stopOnEntry false runs to terminated with no stop', async () => {
  const terminated = dc.waitForEvent('terminated');
  await dc.begin({ program: example('affine-gate.grad'), stopOnEntry: false }, { filters: ['nonfinite', 'gradcheck'] });
  await terminated;
  assert.ok(!dc.events.some((e) => e.event === 'stopped'));
});

test('the dashboard event at each stop, and the values at the line ends', async () => {
  await dc.beginAndStop({ program: circuit });
  await dc.step('stepOut'); // the first backward stop
  const last = [...dc.events].reverse().find((e) => e.event === 'gradlens.stopped');
  const body = last?.body as { phase: string; current: string; line: number; grads: string[]; done: string[]; program: string };
  assert.equal(body.phase, 'backward');
  assert.equal(body.program, circuit);
  assert.equal(body.line + 1, lineOf(circuit, 'f = q * z'));
  assert.ok(body.done.includes(body.current), 'the root has sent its gradients');
  const inline = await dc.customRequest('gradlens.inlineValues', { frameId: 1 });
  const values = (inline.body as { values: { line: number; text: string }[] }).values;
  assert.deepEqual(values.find((v) => v.line + 1 === lineOf(circuit, 'q = x + y'))?.text, 'q = 3 · ∂ -4');
});

test('launch errors say what is wrong', async () => {
  await dc.initializeRequest();
  await assert.rejects(dc.launchRequest({} as DebugProtocol.LaunchRequestArguments), /"program"/);
  await assert.rejects(dc.launchRequest({ program: join(scratch, 'missing.grad') } as DebugProtocol.LaunchRequestArguments), /no such file/);
  const bad = file('bad.grad', 'input x: [3]\ninput W: [4, 2]\ny = sum(x @ W)\n');
  await assert.rejects(dc.launchRequest({ program: bad } as DebugProtocol.LaunchRequestArguments), /line 3: .*@/);
  await assert.rejects(dc.launchRequest({ program: circuit, dims: { N: 0 } } as DebugProtocol.LaunchRequestArguments), /"dims"/);
});

test('disconnect ends gradlens dap within a second', async () => {
  await dc.beginAndStop({ program: circuit });
  const child = dc.process;
  assert.ok(child);
  const exited = new Promise<number>((resolve) => child.on('exit', () => resolve(Date.now())));
  const t0 = Date.now();
  await dc.disconnectRequest({});
  const t1 = await exited;
  assert.ok(t1 - t0 < 1000, `exited after ${t1 - t0} ms`);
});
