// The part of the core a browser bundle may import (the dashboard webview, the shared message
// protocol): the Analysis' types, the one number formatter, the defaults and the verdict thresholds.
// Pure data and functions: no engine, no WebAssembly, no Node. Outside src/core, code imports the
// core only through this file or ./index.ts (eslint enforces it).
export type * from './model';
export { jsonSafeAnalysis } from './jsonSafe';
export { formatNumber, PLAIN_MAX, PLAIN_MIN, SIGNIFICANT_DIGITS, type NumberFormat } from './format/number';
export * from './defaults';
export { entryIsOff, isThresholds, reportedEntry, thresholdBands, type ThresholdBand } from './checks/thresholds';
export type { Position, Range, Span } from './text';
export type { Diagnostic, Fix, RelatedInformation, Severity, TextEdit } from './diagnostics';
