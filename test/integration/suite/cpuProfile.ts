// A CPU profile of the extension host's main thread, taken from inside it (an inspector session on
// the same thread), for the typing-burst test: when GRADLENS_BURST_PROFILE names a file, the burst
// is profiled at a 0.5 ms sampling interval and written there; `scripts/longTasks.ts` lists its long
// tasks with their stacks. Off by default: the profiler itself costs the thread a little.
import * as inspector from 'node:inspector';
import { writeFileSync } from 'node:fs';

function post<T>(session: inspector.Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result as T))));
}

/** Starts profiling if `file` is set; the returned function stops and writes the profile. */
export async function profileTo(file: string | undefined): Promise<() => Promise<void>> {
  if (!file) return async () => undefined;
  const session = new inspector.Session();
  session.connect();
  await post(session, 'Profiler.enable');
  await post(session, 'Profiler.setSamplingInterval', { interval: 500 });
  await post(session, 'Profiler.start');
  return async () => {
    const { profile } = await post<{ profile: unknown }>(session, 'Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}
