// `gradlens dap`: the debug adapter over standard input and output (DAP's Content-Length framing),
// for nvim-dap and any other DAP client. A `disconnect` ends the process (the session exits 100 ms
// after answering it).
import { GradDebugSession } from './gradDebugSession';

export function runStdioAdapter(): void {
  const session = new GradDebugSession();
  process.on('SIGTERM', () => session.shutdown());
  session.start(process.stdin, process.stdout);
}
