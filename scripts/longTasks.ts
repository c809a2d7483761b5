// The long tasks of a thread, read from a V8 CPU profile (.cpuprofile, as written by `--cpu-prof`,
// DevTools or an inspector session): runs of consecutive samples that are not `(idle)` — the event
// loop never got back to waiting — longer than a threshold, each with where its time went: GradLens'
// own code (whatever a predicate on the script URL says is ours: the extension's bundle includes
// vscode-languageclient) versus the host's, the garbage collector, native `(program)` time, and the
// heaviest stacks. `node --import tsx scripts/longTasks.ts FILE.cpuprofile [--min-ms 10] [--ours REGEX]`
// prints them. A task is as precise as the sampling interval (0.5 ms when taken by the burst test).
import { readFileSync } from 'node:fs';

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  /** Microseconds since the previous sample (the first: since startTime). */
  timeDeltas: number[];
}

export interface LongTask {
  /** Since the profile's start, ms. */
  startMs: number;
  durationMs: number;
  /** Milliseconds of the task by where the sampled top frame belongs. */
  oursMs: number;
  hostMs: number;
  gcMs: number;
  programMs: number;
  /**
   * Time between two samples beyond 4× the usual interval: the profiler did not look, because the
   * process was not running (another process had the cores) — not attributable to any code.
   */
  unobservedMs: number;
  /** The heaviest stacks (outermost first, `ours` frames marked with `*`) with their ms, heaviest first. */
  stacks: { ms: number; stack: string[] }[];
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

function frameName(n: CpuProfileNode, ours: (url: string) => boolean): string {
  const f = n.callFrame;
  const file = f.url ? f.url.replace(/^.*[\\/]/, '') : '';
  const where = file ? ` ${file}:${f.lineNumber + 1}` : '';
  return `${ours(f.url) ? '*' : ''}${f.functionName || '(anonymous)'}${where}`;
}

/**
 * The tasks of at least `minMs`, in time order. A sample's duration is the delta to the next one
 * (the time until the profiler looked again); `(idle)` samples end a task.
 */
export function longTasks(profile: CpuProfile, o: { minMs?: number; ours: (url: string) => boolean; stacks?: number; depth?: number }): LongTask[] {
  const minMs = o.minMs ?? 10;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stackCache = new Map<number, { frames: CpuProfileNode[]; kind: 'idle' | 'gc' | 'program' | 'ours' | 'host' }>();
  const stackOf = (id: number) => {
    let s = stackCache.get(id);
    if (s) return s;
    const frames: CpuProfileNode[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at);
      if (n && n.callFrame.functionName !== '(root)') frames.unshift(n);
    }
    const top = byId.get(id)?.callFrame.functionName;
    // A frame of ours anywhere on the stack makes the sample ours: host code it calls runs for us.
    const kind = top === '(idle)' ? 'idle' : top === '(garbage collector)' ? 'gc' : top === '(program)' ? 'program' : frames.some((f) => !SPECIAL.has(f.callFrame.functionName) && o.ours(f.callFrame.url)) ? 'ours' : 'host';
    s = { frames, kind };
    stackCache.set(id, s);
    return s;
  };

  const sortedDeltas = [...profile.timeDeltas].sort((a, b) => a - b);
  const usual = sortedDeltas[Math.floor(sortedDeltas.length / 2)] ?? 0;
  const tasks: LongTask[] = [];
  let t = profile.startTime;
  let current: { start: number; end: number; samples: { id: number; us: number }[] } | null = null;
  const close = () => {
    if (!current) return;
    const durationMs = (current.end - current.start) / 1000;
    if (durationMs >= minMs) {
      const task: LongTask = { startMs: (current.start - profile.startTime) / 1000, durationMs, oursMs: 0, hostMs: 0, gcMs: 0, programMs: 0, unobservedMs: 0, stacks: [] };
      const heavy = new Map<string, { ms: number; stack: string[] }>();
      for (const s of current.samples) {
        const st = stackOf(s.id);
        const seen = s.us > 4 * usual ? usual : s.us;
        task.unobservedMs += (s.us - seen) / 1000;
        const ms = seen / 1000;
        if (st.kind === 'ours') task.oursMs += ms;
        else if (st.kind === 'gc') task.gcMs += ms;
        else if (st.kind === 'program') task.programMs += ms;
        else task.hostMs += ms;
        const names = st.frames.slice(0, o.depth ?? 40).map((f) => frameName(f, o.ours));
        const key = names.join(' > ');
        const h = heavy.get(key) ?? { ms: 0, stack: names };
        h.ms += ms;
        heavy.set(key, h);
      }
      task.stacks = [...heavy.values()].sort((a, b) => b.ms - a.ms).slice(0, o.stacks ?? 3);
      tasks.push(task);
    }
    current = null;
  };
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    const next = i + 1 < profile.samples.length ? t + (profile.timeDeltas[i + 1] ?? 0) : profile.endTime;
    const id = profile.samples[i];
    if (stackOf(id).kind === 'idle') {
      close();
      continue;
    }
    current ??= { start: t, end: t, samples: [] };
    current.end = next;
    current.samples.push({ id, us: Math.max(0, next - t) });
  }
  close();
  return tasks;
}

/** Each sample's observed duration, µs: the time to the next sample, capped at 4× the usual interval. */
function observedDurations(profile: CpuProfile): number[] {
  const sorted = [...profile.timeDeltas].sort((a, b) => a - b);
  const usual = sorted[Math.floor(sorted.length / 2)] ?? 0;
  return profile.samples.map((_, i) => {
    const d = i + 1 < profile.samples.length ? (profile.timeDeltas[i + 1] ?? 0) : 0;
    return d > 4 * usual ? usual : Math.max(0, d);
  });
}

/**
 * Time of GradLens' own code over the whole profile, by the innermost frame of ours on the stack
 * (what of ours was running, host code it called included), heaviest first.
 */
export function oursByEntry(profile: CpuProfile, ours: (url: string) => boolean, top = 25): { ms: number; name: string }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const total = new Map<string, number>();
  const dur = observedDurations(profile);
  for (let i = 0; i < profile.samples.length; i++) {
    let at: number | undefined = profile.samples[i];
    let found: CpuProfileNode | undefined;
    for (; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at);
      if (n && ours(n.callFrame.url)) {
        found = n;
        break;
      }
    }
    if (!found) continue;
    const name = frameName(found, ours);
    total.set(name, (total.get(name) ?? 0) + dur[i] / 1000);
  }
  return [...total.entries()].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms).slice(0, top);
}

/** Self time per function over the whole profile (observed time only), heaviest first (idle excluded). */
export function selfTimes(profile: CpuProfile, ours: (url: string) => boolean, top = 25): { ms: number; name: string }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const total = new Map<string, number>();
  const dur = observedDurations(profile);
  for (let i = 0; i < profile.samples.length; i++) {
    const n = byId.get(profile.samples[i]);
    if (!n || n.callFrame.functionName === '(idle)') continue;
    const name = frameName(n, ours);
    total.set(name, (total.get(name) ?? 0) + dur[i] / 1000);
  }
  return [...total.entries()].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms).slice(0, top);
}

function main(argv: string[]): void {
  const file = argv.find((a) => !a.startsWith('--') && !/^\d/.test(a));
  if (!file) {
    console.error('usage: node --import tsx scripts/longTasks.ts FILE.cpuprofile [--min-ms 10] [--ours REGEX]');
    process.exit(2);
  }
  const opt = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const oursRe = new RegExp(opt('--ours') ?? '(gradlens|wt-[^/]*|/main)/dist/');
  const ours = (url: string) => oursRe.test(url);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const tasks = longTasks(profile, { minMs: Number(opt('--min-ms') ?? 10), ours, stacks: 3, depth: 40 });
  const spanS = (profile.endTime - profile.startTime) / 1e6;
  console.log(`${tasks.length} task(s) ≥ ${opt('--min-ms') ?? 10} ms in ${spanS.toFixed(1)} s (ours: frames from ${oursRe.source}, marked *)`);
  for (const k of tasks) {
    console.log(`\n@${(k.startMs / 1000).toFixed(3)} s  ${k.durationMs.toFixed(1)} ms: ours ${k.oursMs.toFixed(1)}, host ${k.hostMs.toFixed(1)}, gc ${k.gcMs.toFixed(1)}, native ${k.programMs.toFixed(1)}, unobserved ${k.unobservedMs.toFixed(1)}`);
    for (const s of k.stacks) console.log(`  ${s.ms.toFixed(1)} ms  ${s.stack.slice(-12).join(' > ')}`);
  }
  const gaps = profile.timeDeltas.filter((d) => d > 5000);
  console.log(`\nsampling gaps over 5 ms (the thread or the whole process not running: a loaded machine): ${gaps.length}, ${(gaps.reduce((a, b) => a + b, 0) / 1000).toFixed(0)} ms in all`);
  const dur = observedDurations(profile);
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame.functionName]));
  const busy = dur.reduce((a, d, i) => a + (byId.get(profile.samples[i]) === '(idle)' ? 0 : d), 0);
  const oursAll = oursByEntry(profile, ours, Infinity).reduce((a, x) => a + x.ms, 0);
  console.log(`observed busy time ${(busy / 1000).toFixed(0)} ms, of which GradLens' code (and what it called) ${oursAll.toFixed(0)} ms`);
  console.log('\nours by innermost frame of ours, whole profile (observed time):');
  for (const s of oursByEntry(profile, ours)) console.log(`  ${s.ms.toFixed(1).padStart(8)} ms  ${s.name}`);
  console.log('\nself time, whole profile (observed time):');
  for (const s of selfTimes(profile, ours)) console.log(`  ${s.ms.toFixed(1).padStart(8)} ms  ${s.name}`);
}

if (process.argv[1] && /longTasks\.ts$/.test(process.argv[1])) main(process.argv.slice(2));
