// The extension host's figures for the edit-latency row: its longest event-loop delay (part of the
// row's target: ≤ 16 ms), the p99, GradLens' edit → result median and the GC pauses. The bench
// measures them itself: code-server starts with GRADLENS_STATS_FILE, so the extension writes the
// figures of `gradlens._stats` there (src/extension/statsFile.ts); the bench asks for a reset
// before its timed edits and reads the file after them. Only when that fails are the figures of
// the integration suite's typing burst (test-results/summary/editor-stats.json) used, and the
// note says so.
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from '../scripts/codeServer';
import type { RuntimeStats } from '../src/extension/runtimeStats';
import { STATS_FILE_INTERVAL_MS, resetRequestOf } from '../src/extension/statsFile';

export interface HostFigures {
  edits: number;
  seconds: number;
  loopDelayMaxMs: number;
  loopDelayP99Ms: number;
  editToResultMedianMs: number | null;
  /** Absent in the integration suite's figures written before these were recorded. */
  workerRestartsSinceReset?: number;
  gcMaxPauseMs?: number;
  /** The longest GC pauses with V8's kind (minor: a scavenge; major: a mark-compact). */
  gcLongest?: { kind: string; ms: number }[];
  /** Where the figures come from, for the note. */
  source: string;
}

/** How long a tick of the extension's writer may take to answer (it runs every STATS_FILE_INTERVAL_MS). */
const ANSWER_MS = 10 * STATS_FILE_INTERVAL_MS;

/** Polls `done` every 50 ms for up to `ms`; whether it came true. */
async function until(done: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) return false;
    await sleep(50);
  }
  return true;
}

/** The file's modification time, or -1 where there is none. */
const mtimeOf = (file: string): number => (existsSync(file) ? statSync(file).mtimeMs : -1);

/**
 * Starts a new window of the extension's figures (`file` is its GRADLENS_STATS_FILE) and waits until
 * it has begun. Returns when (Date.now()), or why not.
 */
export async function startHostWindow(file: string): Promise<{ at: number } | { why: string }> {
  if (!(await until(() => existsSync(file), ANSWER_MS))) return { why: `the extension wrote no figures to ${file}` };
  const request = resetRequestOf(file);
  writeFileSync(request, '');
  // The extension deletes the request once it has reset its figures.
  if (await until(() => !existsSync(request), ANSWER_MS)) return { at: Date.now() };
  rmSync(request, { force: true });
  return { why: 'the extension did not take the reset request' };
}

/** The figures of the window begun at `startedAt`, from the first write after this call. */
export async function readHostWindow(file: string, startedAt: number, edits: number): Promise<HostFigures | { why: string }> {
  const now = Date.now();
  // A write that began after the edits ended: a tick reads the figures, then writes them.
  if (!(await until(() => mtimeOf(file) > now + 5, ANSWER_MS))) return { why: 'the extension stopped writing its figures' };
  const s = JSON.parse(readFileSync(file, 'utf8')) as RuntimeStats;
  return {
    edits,
    seconds: Math.round((now - startedAt) / 1000),
    loopDelayMaxMs: s.loopDelayMaxMs,
    loopDelayP99Ms: s.loopDelayP99Ms,
    editToResultMedianMs: s.editToResultMedianMs,
    workerRestartsSinceReset: s.workerRestartsSinceReset,
    gcMaxPauseMs: s.gcMaxPauseMs,
    gcLongest: s.gcLongest,
    source: `the bench's own measurement in this session (the extension's gradlens._stats figures, written to GRADLENS_STATS_FILE)`,
  };
}

/** What the integration suite measured inside the extension host (its typing-burst test), if it ran here. */
export function integrationSuiteFigures(): HostFigures | null {
  const f = join(ROOT, 'test-results', 'summary', 'editor-stats.json');
  if (!existsSync(f)) return null;
  const stats = JSON.parse(readFileSync(f, 'utf8')) as Omit<HostFigures, 'source'>;
  return { ...stats, source: `the integration suite's typing burst (measured ${statSync(f).mtime.toISOString()})` };
}

/** What kind of collection the longest pause was (figures from before the kinds were recorded: nothing). */
function gcKindNote(host: HostFigures): string {
  const top = host.gcLongest?.[0];
  if (!top) return '';
  return top.kind === 'minor' ? ' (a scavenge)' : top.kind === 'major' ? ' (a mark-compact)' : ` (${top.kind})`;
}

/** The note's part on the extension host: the figures and their source, or why there are none. */
export function hostNote(host: HostFigures | null, whyNotOwn: string | null): string {
  const fallback = whyNotOwn ? `; the bench's own measurement failed (${whyNotOwn})` : '';
  if (!host) return `the extension-host figures (event-loop delay, edit → result) were not measured${fallback}, and the integration suite (npm run test:integration), the other source, has not run here`;
  const gc = host.gcMaxPauseMs !== undefined ? `${gcPauseNote(host)}, ${host.workerRestartsSinceReset ?? 0} worker restarts` : '';
  return (
    `GradLens' own part, edit → analysis result, median ${host.editToResultMedianMs?.toFixed(0) ?? '—'} ms, and the extension host's longest event-loop delay ${host.loopDelayMaxMs.toFixed(1)} ms ` +
    `(p99 ${host.loopDelayP99Ms.toFixed(1)} ms${gc}) during ${host.edits} edits in ${host.seconds} s, from ${host.source}${fallback}`
  );
}

/** The control window's figures (the same keystrokes with GradLens loaded but idle: no analysis). */
export function hostControlNote(host: HostFigures): string {
  const gc = host.gcMaxPauseMs === undefined ? '' : gcPauseNote(host);
  return `the extension host's longest event-loop delay ${host.loopDelayMaxMs.toFixed(1)} ms (p99 ${host.loopDelayP99Ms.toFixed(1)} ms${gc}) during ${host.edits} edits in ${host.seconds} s`;
}

/** '; longest GC pause … ms (its kind)', or '; no GC pause' for a window without a collection. */
function gcPauseNote(host: HostFigures): string {
  const ms = host.gcMaxPauseMs ?? 0;
  return ms > 0 ? `; longest GC pause ${ms.toFixed(1)} ms${gcKindNote(host)}` : '; no GC pause';
}
