// Where `npm start` keeps its VS Code profile (user data and extensions). One profile per port: two
// runs side by side get two ports (the next free one) and so two profiles, and the browser keeps its
// own state per origin (127.0.0.1:port) too, so nothing leaks from one run into the other. The same
// port again finds its profile as it was left. `--fresh` makes a profile for this run only.
import { join } from 'node:path';

export function startProfileDir(toolsDir: string, port: number, fresh: { pid: number; time: number } | null = null): string {
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`not a port: ${port}`);
  return fresh ? join(toolsDir, 'start', `run-${port}-${fresh.pid}-${fresh.time}`) : join(toolsDir, 'start', `port-${port}`);
}
