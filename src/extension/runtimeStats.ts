// Figures for tests and benchmarks: how long the extension host's main thread stalled (the
// analyses run elsewhere; this watches that it stays free), garbage-collection pauses that explain
// a stall, and the server's edit → result latencies, worker restarts and cancelled runs.
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
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

export class RuntimeStatsMonitor extends Disposable {
  private readonly loop = monitorEventLoopDelay({ resolution: 5 });
  private readonly gc: PerformanceObserver;
  private gcMaxPauseMs = 0;
  private restartsAtReset = 0;
  private cpuAtReset = mainThreadCpuMs();

  constructor(private readonly analyses: AnalysisClient) {
    super();
    this.loop.enable();
    this.register({ dispose: () => this.loop.disable() });
    this.gc = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) this.gcMaxPauseMs = Math.max(this.gcMaxPauseMs, e.duration);
    });
    this.gc.observe({ entryTypes: ['gc'] });
    this.register({ dispose: () => this.gc.disconnect() });
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
      cancelledRuns: server.cancelledRuns,
      mainThreadCpuMs: cpu !== null && this.cpuAtReset !== null ? cpu - this.cpuAtReset : null,
    };
    if (reset) {
      this.loop.reset();
      this.restartsAtReset = server.workerRestarts;
      this.gcMaxPauseMs = 0;
      this.cpuAtReset = cpu;
    }
    return stats;
  }
}
