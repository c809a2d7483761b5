// The figures of `gradlens._stats` in a file, for a harness that drives the editor only through
// its UI (the bench in code-server) and so cannot get a command's return value. On only when the
// extension host's environment has GRADLENS_STATS_FILE, which whoever starts the editor sets; never
// from a setting, which a workspace can set, and would then choose where the extension writes.
//
// Every STATS_FILE_INTERVAL_MS the figures since the last reset are written to a temporary file
// renamed over the file, so a reader never sees half of one. `<file>.reset`, created by the harness,
// asks for a new window: the next tick resets the figures, then deletes it; once it is gone, what
// the file holds counts from then.
import { access, rename, rm, writeFile } from 'node:fs/promises';
import type { RuntimeStats } from './runtimeStats';

export const STATS_FILE_ENV = 'GRADLENS_STATS_FILE';
export const STATS_FILE_INTERVAL_MS = 500;

/** The file whose presence asks for a reset of the figures. */
export const resetRequestOf = (file: string): string => `${file}.reset`;

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * Writes `read(false)` to `file` every `intervalMs` until disposed (nothing when `file` is unset).
 * `read` is RuntimeStatsMonitor.read: `read(true)` starts a new window.
 */
export function writeStatsFile(file: string | undefined, read: (reset: boolean) => Promise<RuntimeStats>, intervalMs = STATS_FILE_INTERVAL_MS): { dispose(): void } {
  if (!file) return { dispose: () => undefined };
  const request = resetRequestOf(file);
  const tmp = `${file}.${process.pid}.tmp`;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = async (): Promise<void> => {
    try {
      if (await exists(request)) {
        await read(true);
        // Deleted only after the reset: its absence tells the harness the new window has begun.
        await rm(request, { force: true });
      }
      const stats = await read(false);
      if (stopped) return;
      await writeFile(tmp, JSON.stringify(stats));
      await rename(tmp, file);
    } catch {
      // The server not answering yet, or the folder gone: the next tick tries again.
    }
    if (stopped) return;
    timer = setTimeout(() => void tick(), intervalMs);
    // Never what keeps the extension host alive.
    timer.unref();
  };
  timer = setTimeout(() => void tick(), intervalMs);
  timer.unref();
  return {
    dispose: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
