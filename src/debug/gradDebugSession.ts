// GradLens' debug adapter (DAP, on @vscode/debugadapter, as microsoft/vscode-mock-debug): a launch
// records the program's forward and backward passes once (src/core/debug), and every request moves
// or reads a cursor over that record — steps forward and back are exact and answer at once. The
// same class runs over stdio (`gradlens dap`) and inside VS Code in a worker thread.
import {
  Breakpoint,
  BreakpointEvent,
  InitializedEvent,
  Event,
  Logger,
  logger,
  LoggingDebugSession,
  OutputEvent,
  Source,
  StackFrame,
  StoppedEvent,
  TerminatedEvent,
  Thread,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { basename } from 'node:path';
import { debugFollowState, TraceCursor, type MoveResult, type Trace } from '../core';
import { INLINE_VALUES_REQUEST, STOPPED_EVENT, type DebugView, type InlineValuesResponse } from '../shared/debugProtocol';
import { loadProgram, parseLaunchArguments, type GradLaunchArguments } from './launch';
import { EXCEPTION_FILTERS, exceptionText, frameName, inlineValues } from './presentation';
import { Variables } from './variables';

const THREAD_ID = 1;

/** DAP error ids (the client shows the message). */
const ERRORS = { launch: 1001, notStopped: 1002, evaluate: 1003, restart: 1004 } as const;

export class GradDebugSession extends LoggingDebugSession {
  private args: GradLaunchArguments | null = null;
  private cursor: TraceCursor | null = null;
  private launched = false;
  private configured = false;
  private started = false;
  private readonly variables = new Variables();
  /** Kept for a restart, which records the program again. */
  private breakpointRequests: DebugProtocol.SourceBreakpoint[] = [];
  private filters: string[] = [];

  /** Over streams (`gradlens dap`): DAP's Content-Length framing on stdin/stdout. */
  override start(inStream: NodeJS.ReadableStream, outStream: NodeJS.WritableStream): void {
    super.start(inStream, outStream);
    quietLogger();
  }

  protected override initializeRequest(response: DebugProtocol.InitializeResponse, _args: DebugProtocol.InitializeRequestArguments): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsStepBack: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsEvaluateForHovers: true,
      supportsExceptionInfoRequest: true,
      supportsRestartRequest: true,
      supportsTerminateRequest: true,
      supportsBreakpointLocationsRequest: true,
      supportsClipboardContext: true,
      exceptionBreakpointFilters: EXCEPTION_FILTERS,
    };
    this.sendResponse(response);
    // `initialized` follows the launch: breakpoints are placed on the recorded run's lines.
  }

  protected override launchRequest(response: DebugProtocol.LaunchResponse, raw: DebugProtocol.LaunchRequestArguments): void {
    const args = parseLaunchArguments(raw);
    if (typeof args === 'string') return this.fail(response, ERRORS.launch, args);
    logger.setup(args.trace ? Logger.LogLevel.Verbose : Logger.LogLevel.Stop, false);
    const loaded = loadProgram(args);
    if ('error' in loaded) return this.fail(response, ERRORS.launch, loaded.error);
    this.args = args;
    this.cursor = new TraceCursor(loaded.trace);
    this.sendResponse(response);
    this.launched = true;
    this.sendEvent(new InitializedEvent());
    this.output(`GradLens: recorded ${basename(args.program)}: ${countText(loaded.trace)}\n`);
    this.maybeStart();
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.sendResponse(response);
    this.configured = true;
    this.maybeStart();
  }

  /** Stops happen only once the client has configured breakpoints and the program is recorded. */
  private maybeStart(): void {
    if (!this.launched || !this.configured || this.started || !this.cursor || !this.args) return;
    this.started = true;
    this.report(this.cursor.start(this.args.stopOnEntry));
  }

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    const requests = args.breakpoints ?? (args.lines ?? []).map((line) => ({ line }));
    const mine = this.args !== null && args.source.path !== undefined && samePath(args.source.path, this.args.program);
    if (mine) this.breakpointRequests = requests;
    response.body = { breakpoints: mine && this.cursor ? this.placeBreakpoints() : requests.map((r) => ({ verified: false, line: r.line, message: 'not the program being debugged' })) };
    this.sendResponse(response);
  }

  private placeBreakpoints(): DebugProtocol.Breakpoint[] {
    const cursor = this.cursor as TraceCursor;
    const placed = cursor.setBreakpoints(this.breakpointRequests.map((b) => ({ line: this.convertClientLineToDebugger(b.line), condition: b.condition, hitCondition: b.hitCondition, logMessage: b.logMessage })));
    return placed.map((bp) => {
      const out: DebugProtocol.Breakpoint = new Breakpoint(bp.verified, this.convertDebuggerLineToClient(bp.line), undefined, this.source());
      out.id = bp.id;
      if (bp.message) out.message = bp.message;
      return out;
    });
  }

  protected override breakpointLocationsRequest(response: DebugProtocol.BreakpointLocationsResponse, args: DebugProtocol.BreakpointLocationsArguments): void {
    const lines = this.cursor?.trace.stopLines ?? [];
    const from = this.convertClientLineToDebugger(args.line);
    const to = this.convertClientLineToDebugger(args.endLine ?? args.line);
    response.body = { breakpoints: lines.filter((l) => l >= from && l <= to).map((l) => ({ line: this.convertDebuggerLineToClient(l) })) };
    this.sendResponse(response);
  }

  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    this.filters = args.filters;
    this.cursor?.setExceptionFilters(this.filters);
    this.sendResponse(response);
  }

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = { threads: [new Thread(THREAD_ID, 'GradLens')] };
    this.sendResponse(response);
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse): void {
    const stop = this.cursor?.current?.stop;
    const trace = this.cursor?.trace;
    if (!stop || !trace) return this.fail(response, ERRORS.notStopped, 'not stopped');
    const frames: DebugProtocol.StackFrame[] = [];
    for (let depth = stop.frames.length - 1; depth >= 0; depth--) {
      const f = stop.frames[depth];
      // A backward stop is one node: the frame spans that node's expression.
      const span = depth === stop.frames.length - 1 && stop.phase === 'backward' && !f.inBackward ? trace.graph.nodes[stop.node].span : f.span;
      const start = trace.lineMap.position(span.start);
      const end = trace.lineMap.position(span.end);
      const frame: DebugProtocol.StackFrame = new StackFrame(depth + 1, frameName(trace, stop, depth), this.source(), this.convertDebuggerLineToClient(start.line), this.convertDebuggerColumnToClient(start.character));
      frame.endLine = this.convertDebuggerLineToClient(end.line);
      frame.endColumn = this.convertDebuggerColumnToClient(end.character);
      frames.push(frame);
    }
    response.body = { stackFrames: frames, totalFrames: frames.length };
    this.sendResponse(response);
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    const view = this.cursor?.frame(args.frameId - 1);
    if (!view) return this.fail(response, ERRORS.notStopped, 'no such frame');
    response.body = { scopes: this.variables.scopes(view) };
    this.sendResponse(response);
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    response.body = { variables: this.variables.variables(args.variablesReference, args) };
    this.sendResponse(response);
  }

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    if (!this.cursor?.current) return this.fail(response, ERRORS.notStopped, 'not stopped: evaluate while the debugger is paused', false);
    const r = this.cursor.evaluate(args.expression, (args.frameId ?? 1) - 1);
    if (!r.ok) return this.fail(response, ERRORS.evaluate, r.message, false);
    // The clipboard gets every entry at full precision.
    if (args.context === 'clipboard') response.body = { result: JSON.stringify({ shape: r.value.shape, data: Array.from(r.value.data) }), variablesReference: 0 };
    else response.body = this.variables.result(r.value, r.type);
    this.sendResponse(response);
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    const e = this.cursor?.current?.exception;
    if (!e) return this.fail(response, ERRORS.notStopped, 'not stopped on an exception');
    response.body = {
      exceptionId: e.filter,
      description: e.fix ? `${e.message}\n\nFix: ${e.fix}` : e.message,
      breakMode: e.filter === 'error' ? 'unhandled' : 'always',
      details: { message: e.message, typeName: e.title },
    };
    this.sendResponse(response);
  }

  protected override nextRequest(response: DebugProtocol.NextResponse): void {
    this.move(response, (c) => c.next());
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse): void {
    this.move(response, (c) => c.stepIn());
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse): void {
    this.move(response, (c) => c.stepOut());
  }

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    response.body = { allThreadsContinued: true };
    this.move(response, (c) => c.continue());
  }

  protected override stepBackRequest(response: DebugProtocol.StepBackResponse): void {
    this.move(response, (c) => c.stepBack());
  }

  protected override reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse): void {
    this.move(response, (c) => c.reverseContinue());
  }

  protected override restartRequest(response: DebugProtocol.RestartResponse, args: DebugProtocol.RestartArguments): void {
    // VS Code sends the (possibly edited) launch configuration; other clients may not.
    const parsed = args.arguments ? parseLaunchArguments(args.arguments) : this.args;
    if (!parsed || typeof parsed === 'string') return this.fail(response, ERRORS.restart, parsed ?? 'restart before launch');
    const loaded = loadProgram(parsed);
    if ('error' in loaded) return this.fail(response, ERRORS.restart, loaded.error);
    this.args = parsed;
    this.cursor = new TraceCursor(loaded.trace);
    this.cursor.setExceptionFilters(this.filters);
    // The file may have changed: every breakpoint is placed again.
    for (const bp of this.placeBreakpoints()) this.sendEvent(new BreakpointEvent('changed', bp));
    this.sendResponse(response);
    this.output(`GradLens: recorded ${basename(parsed.program)} again: ${countText(loaded.trace)}\n`);
    this.report(this.cursor.start(parsed.stopOnEntry));
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  protected override customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    if (command !== INLINE_VALUES_REQUEST) return super.customRequest(command, response, args);
    const frameId = typeof (args as { frameId?: unknown } | null)?.frameId === 'number' ? (args as { frameId: number }).frameId : 1;
    const view = this.cursor?.frame(frameId - 1);
    const body: InlineValuesResponse = { values: view && this.cursor ? inlineValues(this.cursor.trace, view) : [] };
    response.body = body;
    this.sendResponse(response);
  }

  private move(response: DebugProtocol.Response, step: (c: TraceCursor) => MoveResult): void {
    const cursor = this.cursor;
    if (!cursor?.current) return this.fail(response, ERRORS.notStopped, 'not stopped');
    this.sendResponse(response);
    this.report(step(cursor));
  }

  /** Logpoint output, then the stop (with the dashboard's event) or the end. */
  private report(m: MoveResult): void {
    for (const line of m.output) this.output(`${line}\n`);
    this.variables.reset();
    const s = m.stopped;
    const cursor = this.cursor as TraceCursor;
    if (!s) {
      this.sendEvent(new TerminatedEvent());
      return;
    }
    if (s.conditionError) this.output(`GradLens: ${s.conditionError}\n`, 'stderr');
    const text = s.exception ? exceptionText(s.exception) : s.conditionError ?? undefined;
    const event = new StoppedEvent(s.reason, THREAD_ID, text) as DebugProtocol.StoppedEvent;
    event.body.description = s.exception ? `Paused on ${s.exception.title}` : s.conditionError ? 'Paused: the breakpoint condition could not be evaluated' : undefined;
    event.body.allThreadsStopped = true;
    if (s.breakpoints.length) event.body.hitBreakpointIds = s.breakpoints;
    // The dashboard's event first: by the time a client sees the stop, the graph can show it.
    const view: DebugView = { program: (this.args as GradLaunchArguments).program, ...debugFollowState(cursor.trace, cursor.state, s.stop) };
    this.sendEvent(new Event(STOPPED_EVENT, view));
    this.sendEvent(event);
  }

  private source(): Source {
    const program = this.args?.program ?? '';
    return new Source(basename(program), this.convertDebuggerPathToClient(program));
  }

  private output(text: string, category: 'console' | 'stderr' = 'console'): void {
    this.sendEvent(new OutputEvent(text, category));
  }

  private fail(response: DebugProtocol.Response, id: number, message: string, showUser = true): void {
    this.sendErrorResponse(response, { id, format: message, showUser });
  }
}

/**
 * The logger queues every message until it is set up after its `init`: set it up at once, off
 * until a launch asks for `trace`.
 */
export function quietLogger(): void {
  logger.setup(Logger.LogLevel.Stop, false);
}

function samePath(a: string, b: string): boolean {
  const norm = (p: string) => (process.platform === 'win32' ? p.toLowerCase() : p);
  return norm(a) === norm(b);
}

function countText(t: Trace): string {
  const forward = t.stops.filter((s) => s.phase === 'forward').length;
  return `${forward} forward and ${t.stops.length - forward} backward stops, ${t.elements.toLocaleString('en-US')} tensor elements`;
}
