// Figures for tests and benchmarks: how long the extension host's main thread stalled (the
// analyses run elsewhere; this watches that it stays free), garbage-collection pauses that explain
// a stall, and the server's edit → result latencies, worker restarts and cancelled runs.
import { readFileSync } from 'node:fs';
import { constants, monitorEventLoopDelay, performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import type { AnalysisClient } from './client/analysisClient';
import { Disposable } from './disposable';

export interface RuntimeStats {
  /** Longest event-loop delay of the extension host since activation (or the last reset), ms. */
  loopDelayMaxMs: number;
  loopDelayP99Ms: number;
  /** Median time from an edit to its analysis result in the server, ms (the debounce included). */
  editToResultMedianMs: number | null;
  workerRestarts: number;
  /** Worker restarts since the last reset (a restart in a timed window explains a slow result). */
  workerRestartsSinceReset: number;
  /** Longest garbage-collection pause of the extension host since the last reset, ms (all of its code, not only GradLens'). */
  gcMaxPauseMs: number;
  /**
   * The pauses since the last reset by V8's kind of collection: `minor` (scavenges of the young
   * generation: their count follows how much was allocated), `major` (mark-compact of the whole
   * heap: its pause follows what is live), `incremental` (marking steps), `weakcb` (weak callbacks).
   */
  gcByKind: Record<GcKind, GcFigures>;
  /** The longest pauses since the last reset (at most 20, longest first), with when they started (ms since the reset). */
  gcLongest: { kind: GcKind; ms: number; atMs: number }[];
  /** Analyses stopped mid-way because a newer text arrived, since the server started. */
  cancelledRuns: number;
  /**
   * CPU time of the extension host's main thread since the last reset, ms (all of its code; 10 ms
   * steps; null where /proc is not there). Unlike the delays it does not grow when other processes
   * take the cores, so it compares runs on a loaded machine.
   */
  mainThreadCpuMs: number | null;
}

/** The main thread's user + system CPU time, ms (Linux: /proc/self/task/PID/stat; else null). */
export function mainThreadCpuMs(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // After the command name (in parentheses, may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * 10 : null; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

export type GcKind = 'minor' | 'major' | 'incremental' | 'weakcb';

export interface GcFigures {
  count: number;
  totalMs: number;
  maxMs: number;
}

const GC_KINDS: Record<number, GcKind> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** How many of the longest pauses are kept (a fixed budget: a burst has hundreds of scavenges). */
const LONGEST_KEPT = 20;

const noGc = (): Record<GcKind, GcFigures> => ({
  minor: { count: 0, totalMs: 0, maxMs: 0 },
  major: { count: 0, totalMs: 0, maxMs: 0 },
  incremental: { count: 0, totalMs: 0, maxMs: 0 },
  weakcb: { count: 0, totalMs: 0, maxMs: 0 },
});

/** The kind of a `gc` performance entry (`detail.kind` since Node 16). */
export function gcKind(e: PerformanceEntry): GcKind {
  const kind = (e as PerformanceEntry & { detail?: { kind?: number } | null }).detail?.kind;
  return (kind !== undefined && GC_KINDS[kind]) || 'major';
}

export class RuntimeStatsMonitor extends Disposable {
  private readonly loop = monitorEventLoopDelay({ resolution: 5 });
  private readonly gc: PerformanceObserver;
  private gcMaxPauseMs = 0;
  private gcByKind = noGc();
  private gcLongest: { kind: GcKind; ms: number; atMs: number }[] = [];
  private resetAt = performance.now();
  private restartsAtReset = 0;
  private cpuAtReset = mainThreadCpuMs();

  constructor(private readonly analyses: AnalysisClient) {
    super();
    this.loop.enable();
    this.register({ dispose: () => this.loop.disable() });
    this.gc = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) this.countGc(e);
    });
    this.gc.observe({ entryTypes: ['gc'] });
    this.register({ dispose: () => this.gc.disconnect() });
  }

  private countGc(e: PerformanceEntry): void {
    this.gcMaxPauseMs = Math.max(this.gcMaxPauseMs, e.duration);
    const kind = gcKind(e);
    const f = this.gcByKind[kind];
    f.count++;
    f.totalMs += e.duration;
    f.maxMs = Math.max(f.maxMs, e.duration);
    const longest = this.gcLongest;
    if (longest.length < LONGEST_KEPT || e.duration > longest[longest.length - 1].ms) {
      if (longest.length === LONGEST_KEPT) longest.pop();
      let i = longest.length;
      while (i > 0 && longest[i - 1].ms < e.duration) i--;
      longest.splice(i, 0, { kind, ms: e.duration, atMs: e.startTime - this.resetAt });
    }
  }

  /** The figures since the last reset; `reset` starts a new window after reading them. */
  async read(reset = false): Promise<RuntimeStats> {
    const server = await this.analyses.stats(reset);
    const sorted = [...server.latencies].sort((a, b) => a - b);
    const cpu = mainThreadCpuMs();
    const stats: RuntimeStats = {
      loopDelayMaxMs: this.loop.max / 1e6,
      loopDelayP99Ms: this.loop.percentile(99) / 1e6,
      editToResultMedianMs: sorted.length ? sorted[Math.floor(sorted.length / 2)] : null,
      workerRestarts: server.workerRestarts,
      workerRestartsSinceReset: server.workerRestarts - this.restartsAtReset,
      gcMaxPauseMs: this.gcMaxPauseMs,
      gcByKind: this.gcByKind,
      gcLongest: this.gcLongest,
      cancelledRuns: server.cancelledRuns,
      mainThreadCpuMs: cpu !== null && this.cpuAtReset !== null ? cpu - this.cpuAtReset : null,
    };
    if (reset) {
      this.loop.reset();
      this.restartsAtReset = server.workerRestarts;
      this.gcMaxPauseMs = 0;
      this.gcByKind = noGc();
      this.gcLongest = [];
      this.resetAt = performance.now();
      this.cpuAtReset = cpu;
    }
    return stats;
  }
}
