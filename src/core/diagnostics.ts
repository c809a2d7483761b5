// Errors are data: every problem the core finds becomes a Diagnostic with a precise span.
import type { DiagnosticCode, Severity } from './diagnosticCodes';
import type { Range, Span } from './text';

export type { Severity } from './diagnosticCodes';

export interface SpanEdit {
  span: Span;
  newText: string;
}

/** A proposed edit (a quick fix in the editor). Never applied by the core itself. */
export interface SpanFix {
  title: string;
  edits: SpanEdit[];
}

export interface SpanRelated {
  message: string;
  span: Span;
}

/** A diagnostic as the core produces it, located by offsets. */
export interface SpanDiagnostic {
  severity: Severity;
  code: DiagnosticCode;
  message: string;
  span: Span;
  related?: SpanRelated[];
  fixes?: SpanFix[];
}

export interface TextEdit {
  range: Range;
  newText: string;
}

export interface Fix {
  title: string;
  edits: TextEdit[];
}

export interface RelatedInformation {
  message: string;
  range: Range;
}

/** A diagnostic as it leaves the core: 0-based line/character ranges (as LSP and the CLI's --json have them). */
export interface Diagnostic {
  severity: Severity;
  code: DiagnosticCode;
  message: string;
  range: Range;
  related?: RelatedInformation[];
  fixes?: Fix[];
}

/**
 * Collects diagnostics during one analysis; keeps at most one per (code, span) pair, and at most
 * `limit` in all (a file of garbage would otherwise send the editor one per line): the rest are
 * counted in `dropped`.
 */
export class DiagnosticSink {
  readonly items: SpanDiagnostic[] = [];
  private readonly seen = new Set<string>();
  /** Diagnostics past the limit, not kept. */
  dropped = 0;
  private droppedErrors = 0;

  constructor(readonly limit = Infinity) {}

  /** Takes another sink's diagnostics after its own, and its count of those past its limit. */
  absorb(other: DiagnosticSink): void {
    for (const d of other.items) this.add(d);
    this.dropped += other.dropped;
    this.droppedErrors += other.droppedErrors;
  }

  add(d: SpanDiagnostic): void {
    if (this.items.length >= this.limit) {
      this.dropped++;
      if (d.severity === 'error') this.droppedErrors++;
      return;
    }
    const key = `${d.code}:${d.span.start}:${d.span.end}:${d.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.items.push(d);
  }

  error(code: DiagnosticCode, message: string, span: Span, extra?: Partial<SpanDiagnostic>): void {
    this.add({ severity: 'error', code, message, span, ...extra });
  }

  warning(code: DiagnosticCode, message: string, span: Span, extra?: Partial<SpanDiagnostic>): void {
    this.add({ severity: 'warning', code, message, span, ...extra });
  }

  info(code: DiagnosticCode, message: string, span: Span, extra?: Partial<SpanDiagnostic>): void {
    this.add({ severity: 'info', code, message, span, ...extra });
  }

  get hasErrors(): boolean {
    return this.droppedErrors > 0 || this.items.some((d) => d.severity === 'error');
  }

  /** True if an error was reported inside `s` (used to avoid cascades). */
  hasErrorWithin(s: Span): boolean {
    return this.items.some((d) => d.severity === 'error' && d.span.start >= s.start && d.span.end <= s.end);
  }
}
