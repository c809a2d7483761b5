// The core's public face: what the CLI, the language server, the debug adapter and the extension
// use. Outside src/core, code imports the core only through this file (or ./browser.ts in a browser
// bundle), so the core's inside can move without touching its users (eslint enforces it).
export * from './browser';
export { analyze, analyzeSession, DEFAULT_MAX_ELEMENTS, DEFAULT_MAX_FLOPS, type AnalysisSession, type AnalyzeOptions } from './analyze';
export { LineMap, span } from './text';
export { GUARD_MARGIN_BYTES, MemoryBudgetExceeded, type MemoryProbe } from './memoryGuard';
export { DiagnosticSink } from './diagnostics';
export { CheckCache } from './checks/checkCache';
export { deriveGateInText, type DeriveResult, type DerivedGradient } from './checks/derive';
export { stepSweep } from './checks/stepSweep';
export { lossLandscape } from './explore/landscape';
export { train } from './explore/training';
export { newResultPool } from './engine/run';
export * from './export';
export { formatDocument, formatOnType, formatRange, formatText, type FormatOptions, type FormatResult } from './format';
export * as ide from './ide';
export { parse } from './lang/parser';
export { MAX_DIM_SIZE, parseDimSize } from './lang/scope';
export type { BinaryOp } from './lang/ast';
export { transposeT } from './ops/indexing';
export type { OpDef } from './ops/op';
export { binaryOpDef, chooseOverload, FUNCTIONS } from './ops/registry';
export { ravel } from './tensor/tensor';
export {
  debugFollowState,
  recordTrace,
  shortText,
  TraceCursor,
  type BreakpointRequest,
  type CursorStop,
  type DebugFollow,
  type EvalResult,
  type FrameEntry,
  type FrameView,
  type MoveResult,
  type RecordOptions,
  type StepView,
  type Trace,
  type TraceException,
  type TraceFrame,
  type TraceStop,
} from './debug';
export { formatShape } from './shapes/shape';
export { norm } from './tensor/tensor';
export { gemmArithmetic, type GemmArithmetic } from './tensor/matmul';
export { enableRelaxedSimd } from './tensor/relaxedSimd';
export type { Tensor } from './tensor/tensor';
export type { ValueType } from './ops/op';
