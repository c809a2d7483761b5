// numpy broadcasting over symbolic shapes.
import type { DiagnosticCode } from '../diagnosticCodes';
import { dimsEqual, formatDimValues, formatShape, namesConflict, type Dim, type Shape } from './shape';

export interface ShapeOk {
  ok: true;
  shape: Shape;
  /** Pairs of differently named dimensions that only match because their sizes coincide. */
  conflicts?: [Dim, Dim][];
}

export interface ShapeFail {
  ok: false;
  /** A complete sentence naming the operator, both shapes and the offending dimension. */
  message: string;
  /** Which argument to point at, when one is clearly at fault. */
  argIndex?: number;
  /** Defaults to `shape-mismatch`. */
  code?: DiagnosticCode;
}

export type ShapeResult = ShapeOk | ShapeFail;

export function ok(shape: Shape, conflicts?: [Dim, Dim][]): ShapeOk {
  return conflicts && conflicts.length ? { ok: true, shape, conflicts } : { ok: true, shape };
}

export function fail(message: string, argIndex?: number, code?: DiagnosticCode): ShapeFail {
  const f: ShapeFail = { ok: false, message };
  if (argIndex !== undefined) f.argIndex = argIndex;
  if (code) f.code = code;
  return f;
}

function isOne(d: Dim): boolean {
  return d.size === 1 || d.sym === '1';
}

/** Broadcasts several shapes together (numpy rules: align right, 1 stretches). */
export function broadcastShapes(opLabel: string, shapes: Shape[]): ShapeResult {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  const conflicts: [Dim, Dim][] = [];
  for (let k = 0; k < rank; k++) {
    let cur: Dim | null = null;
    let curArg = -1;
    for (let i = 0; i < shapes.length; i++) {
      const s = shapes[i];
      const j = s.length - rank + k;
      if (j < 0) continue;
      const d = s[j];
      if (cur === null || (isOne(cur) && !isOne(d))) {
        cur = d;
        curArg = i;
        continue;
      }
      if (isOne(d)) continue;
      if (!dimsEqual(cur, d)) {
        const a = shapes[curArg];
        const axisFromEnd = rank - k;
        return fail(
          `${opLabel} cannot broadcast ${formatShape(a)} with ${formatShape(s)}: dimensions ${cur.sym} and ${d.sym} differ` +
            ` (axis ${k - rank} counting from the end; only equal dimensions or 1 broadcast)${formatDimValues(a, s)}`,
          axisFromEnd >= 0 ? i : undefined,
        );
      }
      if (namesConflict(cur, d)) conflicts.push([cur, d]);
      // Prefer a named dimension over a literal in the result, for readable messages.
      if (cur.origin !== 'name' && d.origin === 'name') cur = d;
    }
    out.push(cur as Dim);
  }
  return ok(out, conflicts);
}
