// At most one call per interval, the latest arguments winning: the first call of a quiet period runs
// at once, calls within `intervalMs` of the last run wait for the end of the interval and only the
// last of them runs. For what the extension host's main thread would otherwise send the window at
// every keystroke although a person reads it a few times a second (the status bar).
export class Throttle<A extends unknown[]> {
  private lastRunAt = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private pending: A | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly run: (...args: A) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  call(...args: A): void {
    const since = this.now() - this.lastRunAt;
    if (!this.timer && since >= this.intervalMs) return this.runNow(args);
    this.pending = args;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const p = this.pending;
      this.pending = undefined;
      if (p) this.runNow(p);
    }, this.intervalMs - since);
  }

  /** Drops a waiting call (what it would show is out of date: the caller shows something else now). */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  private runNow(args: A): void {
    this.lastRunAt = this.now();
    this.run(...args);
  }
}
