// A DAP client for the tests: @vscode/debugadapter-testsupport's DebugClient connected to
// `gradlens dap` (the built CLI bundle over stdio, as nvim-dap or any other client runs it), keeping
// every event so a test can also check what did *not* happen.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';

export const root = join(__dirname, '..', '..');
export const example = (rel: string) => join(root, 'examples', rel);

export class DapClient extends DebugClient {
  process: ChildProcess | null = null;
  readonly events: DebugProtocol.Event[] = [];
  stderr = '';

  constructor() {
    super(process.execPath, join(root, 'bin', 'gradlens.js'), 'grad');
    this.defaultTimeout = 10_000;
  }

  /** Starts `gradlens dap` (DebugClient spawns one argument only). */
  override start(): Promise<void> {
    const child = spawn(process.execPath, [join(root, 'bin', 'gradlens.js'), 'dap'], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stderr?.on('data', (b: Buffer) => (this.stderr += b.toString()));
    this.process = child;
    this.connect(child.stdout!, child.stdin!);
    return Promise.resolve();
  }

  private kill(): void {
    this.process?.kill();
    this.process = null;
  }

  /** Disconnects (when the adapter is still there to answer) and ends the process. */
  override async stop(): Promise<void> {
    const p = this.process;
    if (p && p.exitCode === null && p.signalCode === null) {
      await Promise.race([this.disconnectRequest({}).catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
    }
    this.kill();
  }

  /** Every event is kept (DebugClient only hands them to listeners, by emitting them). */
  override emit(name: string | symbol, ...args: unknown[]): boolean {
    const e = args[0] as DebugProtocol.ProtocolMessage | undefined;
    if (e?.type === 'event') this.events.push(e as DebugProtocol.Event);
    return super.emit(name, ...args);
  }

  /** initialize, launch and configurationDone (after `initialized`), with breakpoints and filters set first. */
  async begin(launch: Record<string, unknown>, setup: { breakpoints?: { path: string; lines: number[] }; filters?: string[] } = {}): Promise<void> {
    await Promise.all([
      this.waitForEvent('initialized').then(async () => {
        if (setup.breakpoints) await this.setBreakpointsRequest({ source: { path: setup.breakpoints.path }, breakpoints: setup.breakpoints.lines.map((line) => ({ line })) });
        if (setup.filters) await this.setExceptionBreakpointsRequest({ filters: setup.filters });
        await this.configurationDoneRequest();
      }),
      this.launch(launch),
    ]);
  }

  /** Launches and waits for the first stop (the waiter is in place before anything can stop). */
  async beginAndStop(launch: Record<string, unknown>, setup: { breakpoints?: { path: string; lines: number[] }; filters?: string[] } = {}): Promise<DebugProtocol.StoppedEvent> {
    const stopped = this.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
    await this.begin(launch, setup);
    return stopped;
  }

  /** The top frame of the stop. */
  async top(): Promise<DebugProtocol.StackFrame> {
    const r = await this.stackTraceRequest({ threadId: 1 });
    return r.body.stackFrames[0];
  }

  /** A scope of the top frame as name → value. */
  async scope(name: string, frameId?: number): Promise<Record<string, DebugProtocol.Variable>> {
    const id = frameId ?? (await this.top()).id;
    const scopes = await this.scopesRequest({ frameId: id });
    const s = scopes.body.scopes.find((x) => x.name === name);
    if (!s) throw new Error(`no scope ${name}: ${scopes.body.scopes.map((x) => x.name).join(', ')}`);
    const vars = await this.variablesRequest({ variablesReference: s.variablesReference });
    return Object.fromEntries(vars.body.variables.map((v) => [v.name, v]));
  }

  async evaluate(expression: string, context: 'repl' | 'watch' | 'hover' = 'repl'): Promise<DebugProtocol.EvaluateResponse['body']> {
    const frameId = (await this.top()).id;
    return (await this.evaluateRequest({ expression, frameId, context })).body;
  }

  /** Sends a step request and waits for its stop. */
  async step(request: 'next' | 'stepIn' | 'stepOut' | 'continue' | 'stepBack' | 'reverseContinue'): Promise<DebugProtocol.StoppedEvent> {
    const stopped = this.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
    await this.send(request, { threadId: 1 });
    return stopped;
  }
}
