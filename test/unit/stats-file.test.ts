// The stats file the bench reads (GRADLENS_STATS_FILE): written whole at each tick, a reset asked
// for by `<file>.reset` happens before the file is deleted, nothing written once disposed or unset.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RuntimeStats } from '../../src/extension/runtimeStats';
import { resetRequestOf, writeStatsFile } from '../../src/extension/statsFile';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A stand-in for RuntimeStatsMonitor.read: its loop-delay figure counts the reads since the last reset. */
function fakeMonitor() {
  const calls: boolean[] = [];
  let sinceReset = 0;
  const read = (reset: boolean): Promise<RuntimeStats> => {
    calls.push(reset);
    const figures = { loopDelayMaxMs: ++sinceReset } as RuntimeStats;
    if (reset) sinceReset = 0;
    return Promise.resolve(figures);
  };
  return { read, calls };
}

test('stats file: written every interval, a reset before its request is deleted, nothing after dispose', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradlens-stats-file-'));
  try {
    const file = join(dir, 'stats.json');
    const m = fakeMonitor();
    const writer = writeStatsFile(file, m.read, 20);
    const figure = () => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RuntimeStats).loopDelayMaxMs : 0);
    for (let i = 0; i < 200 && figure() < 10; i++) await sleep(10);
    const before = figure();
    assert.ok(before >= 10, 'the figures were written, and the window runs on');
    assert.ok(!m.calls.includes(true), 'no reset unless asked');
    writeFileSync(resetRequestOf(file), '');
    for (let i = 0; i < 100 && existsSync(resetRequestOf(file)); i++) await sleep(5);
    assert.ok(!existsSync(resetRequestOf(file)), 'the request was taken');
    assert.equal(m.calls.filter((r) => r).length, 1, 'one reset for one request');
    for (let i = 0; i < 100 && figure() >= before; i++) await sleep(2);
    assert.ok(figure() < before, 'the figures count from the reset');
    writer.dispose();
    const at = statSync(file).mtimeMs;
    const reads = m.calls.length;
    await sleep(80);
    assert.equal(statSync(file).mtimeMs, at, 'nothing written once disposed');
    assert.ok(m.calls.length <= reads + 1, 'no more ticks once disposed');
    assert.deepEqual(readdirSync(dir).sort(), ['stats.json'], 'no temporary file left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stats file: nothing without a path, and a failing read only skips a tick', async () => {
  let reads = 0;
  const none = writeStatsFile(undefined, () => {
    reads++;
    return Promise.reject(new Error('unused'));
  }, 5);
  await sleep(40);
  none.dispose();
  assert.equal(reads, 0, 'no path, no reads');

  const dir = mkdtempSync(join(tmpdir(), 'gradlens-stats-file-'));
  try {
    const file = join(dir, 'stats.json');
    let n = 0;
    const writer = writeStatsFile(file, () => (++n <= 2 ? Promise.reject(new Error('the server is not up yet')) : Promise.resolve({ loopDelayMaxMs: n } as RuntimeStats)), 10);
    for (let i = 0; i < 50 && !existsSync(file); i++) await sleep(10);
    writer.dispose();
    assert.ok(existsSync(file), 'written once the reads succeed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
