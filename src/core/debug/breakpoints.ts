// Breakpoints as the cursor keeps them: placed on a line where a stop is (moved to the nearest one,
// with the reason), with an optional condition (a .grad expression, true when its single number is
// not 0), a hit condition on how many times the line has stopped so far, and a log message whose
// `{expression}` parts are evaluated instead of stopping.

export interface BreakpointRequest {
  /** 0-based line. */
  line: number;
  condition?: string;
  hitCondition?: string;
  logMessage?: string;
}

export interface Breakpoint {
  id: number;
  /** Where it was asked for and where it is (0-based). */
  requested: number;
  line: number;
  verified: boolean;
  /** Why it moved or why it cannot be hit. */
  message?: string;
  condition?: string;
  hitCondition?: string;
  logMessage?: string;
  hit: ((count: number) => boolean) | null;
  /** Stops at or before the cursor where it matched (line and condition): the hit count. */
  counted: Set<number>;
}

/** `5`, `>= 5`, `== 5`, `> 5`, `< 5`, `<= 5`, `% 5` (every 5th); null when malformed. */
export function parseHitCondition(text: string): ((count: number) => boolean) | null {
  const m = /^\s*(>=|<=|==|=|>|<|%)?\s*(\d+)\s*$/.exec(text);
  if (!m) return null;
  const n = Number(m[2]);
  switch (m[1]) {
    case '==':
    case '=':
      return (c) => c === n;
    case '>':
      return (c) => c > n;
    case '<':
      return (c) => c < n;
    case '<=':
      return (c) => c <= n;
    case '%':
      return (c) => n > 0 && c % n === 0;
    default:
      return (c) => c >= n;
  }
}

/** The line a breakpoint on `line` goes to: itself if a stop is there, else the next stop line, else the previous one. */
export function placeLine(line: number, stopLines: readonly number[]): number | null {
  if (stopLines.length === 0) return null;
  const after = stopLines.find((l) => l >= line);
  return after ?? stopLines[stopLines.length - 1];
}

let nextId = 1;

export function makeBreakpoint(req: BreakpointRequest, stopLines: readonly number[], statementStart: (line: number) => number | null): Breakpoint {
  const bp: Breakpoint = { id: nextId++, requested: req.line, line: req.line, verified: false, hit: null, counted: new Set(), condition: req.condition?.trim() || undefined, logMessage: req.logMessage || undefined };
  if (req.hitCondition?.trim()) {
    bp.hitCondition = req.hitCondition.trim();
    bp.hit = parseHitCondition(bp.hitCondition);
    if (!bp.hit) {
      bp.message = `the hit condition \`${bp.hitCondition}\` is not understood: use a count (5), or >= 5, == 5, > 5, < 5, <= 5, % 5`;
      return bp;
    }
  }
  // Inside a statement that spans lines: its first line.
  const start = statementStart(req.line) ?? req.line;
  const line = placeLine(start, stopLines);
  if (line === null) {
    bp.message = 'nothing runs in this file';
    return bp;
  }
  bp.line = line;
  bp.verified = true;
  if (line !== req.line) bp.message = `moved to line ${line + 1}, the nearest line that runs (line ${req.line + 1} has no statement that runs)`;
  return bp;
}
