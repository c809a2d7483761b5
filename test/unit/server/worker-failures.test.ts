// A failing worker takes down only what it was running: requests queued behind it go to a new
// worker, once (a request that a second worker also fails to start is given up, so no request can
// replace workers forever).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { WorkerClient, type WorkerFailure } from '../../../src/server/analysis/workerClient';

const script = join(__dirname, '..', 'helpers', 'scriptedWorker.cjs');

function client(): { worker: WorkerClient; failures: WorkerFailure[] } {
  const failures: WorkerFailure[] = [];
  return { worker: new WorkerClient(script, (e) => failures.push(e)), failures };
}

const ask = (w: WorkerClient, text: string, timeoutMs = 0) => w.request('analyze', { text, fileName: 'a.grad', options: {} }, timeoutMs) as unknown as Promise<string>;

test('a crash fails the request that was running; the requests queued behind it are answered by a new worker', async () => {
  const { worker, failures } = client();
  try {
    const crashing = ask(worker, 'crash');
    const queued = [ask(worker, 'first'), ask(worker, 'second')];
    await assert.rejects(crashing, /exited with code 1/);
    assert.deepEqual(await Promise.all(queued), ['first', 'second']);
    assert.equal(worker.restarts, 1);
    assert.equal(failures.length, 1, 'reported once');
  } finally {
    worker.dispose();
  }
});

test('a request that overruns its time limit fails alone; the next one runs in the new worker', async () => {
  const { worker } = client();
  try {
    const slow = ask(worker, 'wait 60000', 200);
    const queued = ask(worker, 'after');
    await assert.rejects(slow, /longer than/);
    assert.equal(await queued, 'after');
    assert.equal(worker.restarts, 1);
  } finally {
    worker.dispose();
  }
});

test('killing the worker fails what it runs and keeps what waits', async () => {
  const { worker } = client();
  try {
    await ask(worker, 'up'); // the thread is up (its start takes longer than a request)
    const running = ask(worker, 'wait 60000');
    const waiting = ask(worker, 'next');
    await new Promise((r) => setTimeout(r, 200)); // the worker has started the first one
    worker.kill();
    await assert.rejects(running, /exited/);
    assert.equal(await waiting, 'next');
  } finally {
    worker.dispose();
  }
});

test('a request whose worker dies before starting it is moved once, then given up', async () => {
  const { worker, failures } = client();
  try {
    await assert.rejects(ask(worker, 'die-early'), /exited with code 1/);
    assert.equal(worker.restarts, 2, 'the first worker, then the one it was moved to');
    assert.equal(failures.length, 2);
    assert.equal(await ask(worker, 'fine'), 'fine', 'a third worker answers the next request');
  } finally {
    worker.dispose();
  }
});

test('dispose fails everything, started or not, and replaces nothing', async () => {
  const { worker, failures } = client();
  await ask(worker, 'up');
  const running = ask(worker, 'wait 60000');
  const waiting = ask(worker, 'next');
  await new Promise((r) => setTimeout(r, 200));
  worker.dispose();
  await assert.rejects(running, /disposed/);
  await assert.rejects(waiting, /disposed/);
  assert.equal(worker.restarts, 0);
  assert.equal(failures.length, 0);
});
