// The debugger's core: a recorded run, a cursor over it, and the expression evaluator. No protocol:
// src/debug speaks DAP with it.
export { recordTrace, type RecordOptions, type RecordResult } from './record';
export { TraceCursor, shortText, type CursorStop, type MoveResult, type StopReason } from './cursor';
export type { Breakpoint, BreakpointRequest } from './breakpoints';
export { parseHitCondition } from './breakpoints';
export { evaluateExpression, type EvalResult, type EvalScope } from './evaluate';
export { nodeName, type FrameEntry, type FrameView, type StepView } from './frames';
export { debugFollowState, type DebugFollow } from './follow';
export type { ExceptionFilter, Trace, TraceEvent, TraceException, TraceFrame, TracePhase, TraceStop } from './types';
