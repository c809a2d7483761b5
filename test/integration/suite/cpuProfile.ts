// A CPU profile of the extension host's main thread, taken from inside it (an inspector session on
// the same thread), for the typing-burst test: when GRADLENS_BURST_PROFILE names a file, the burst
// is profiled at a 0.5 ms sampling interval and written there; `scripts/longTasks.ts` lists its long
// tasks with their stacks. When GRADLENS_BURST_CALLS names a file, exact call counts of the
// functions that ran during the burst are written there instead (V8's precise coverage: how many
// decorations were sent, how many messages crossed to the server — counts that a loaded machine
// does not change, unlike times). When GRADLENS_BURST_HEAP names a file, V8's sampling heap
// profiler records which code allocated during the burst (a `.heapprofile`: what makes the
// collector run). Off by default: each costs the thread a little.
import * as inspector from 'node:inspector';
import { writeFileSync } from 'node:fs';

function post<T>(session: inspector.Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result as T))));
}

interface Coverage {
  result: { url: string; functions: { functionName: string; ranges: { startOffset: number; count: number }[] }[] }[];
}

/** Starts profiling, counting calls or sampling allocations if asked; the returned function stops and writes the result. */
export async function profileTo(profileFile: string | undefined, callsFile?: string, heapFile?: string): Promise<() => Promise<void>> {
  if (!profileFile && !callsFile && !heapFile) return async () => undefined;
  const session = new inspector.Session();
  session.connect();
  if (heapFile) {
    // Every 8 KiB allocated on average, objects collected since included (what the collector worked on).
    await post(session, 'HeapProfiler.enable');
    await post(session, 'HeapProfiler.startSampling', { samplingInterval: 8192, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    return async () => {
      const { profile } = await post<{ profile: unknown }>(session, 'HeapProfiler.stopSampling');
      writeFileSync(heapFile, JSON.stringify(profile));
      session.disconnect();
    };
  }
  await post(session, 'Profiler.enable');
  if (callsFile) {
    await post(session, 'Profiler.startPreciseCoverage', { callCount: true, detailed: false });
    // Counts start at zero here: what ran before the burst is taken and dropped.
    await post(session, 'Profiler.takePreciseCoverage');
  } else {
    await post(session, 'Profiler.setSamplingInterval', { interval: 500 });
    await post(session, 'Profiler.start');
  }
  return async () => {
    if (callsFile) {
      const { result } = await post<Coverage>(session, 'Profiler.takePreciseCoverage');
      await post(session, 'Profiler.stopPreciseCoverage');
      const calls: { script: string; name: string; offset: number; count: number }[] = [];
      for (const s of result)
        for (const f of s.functions) {
          const r = f.ranges[0];
          if (r && r.count > 0) calls.push({ script: s.url.replace(/^.*[\\/]/, ''), name: f.functionName, offset: r.startOffset, count: r.count });
        }
      writeFileSync(callsFile, JSON.stringify(calls.sort((a, b) => b.count - a.count)));
    } else {
      const { profile } = await post<{ profile: unknown }>(session, 'Profiler.stop');
      writeFileSync(profileFile!, JSON.stringify(profile));
    }
    session.disconnect();
  };
}
