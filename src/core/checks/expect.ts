// `expect` lines: shape facts are checked statically, value and gradient facts after running.
import type { DiagnosticSink } from '../diagnostics';
import type { DimRef, Expect, Expr } from '../lang/ast';
import type { ValueType } from '../ops/op';
import { dimsSymbolicallyEqual, formatShape, lit, named, type Dim } from '../shapes/shape';
import { unravel, type Tensor } from '../tensor/tensor';

/** Relative tolerance of `==` (spec section 3). */
export const EXPECT_RTOL = 1e-6;
/** Absolute floor so that values near 0 (round-off) still compare equal. */
export const EXPECT_ATOL = 1e-12;

export function checkExpectShape(e: Expect, type: ValueType, dimSize: (n: string) => number | undefined, sink: DiagnosticSink): void {
  const want: Dim[] = (e.shape ?? []).map((d: DimRef) => (d.kind === 'int' ? lit(d.value) : named(d.name, dimSize(d.name) ?? null)));
  const ok = want.length === type.shape.length && want.every((d, i) => dimsSymbolicallyEqual(d, type.shape[i]));
  if (!ok) sink.error('expect-failed', `expected \`${e.target}\` to have shape ${formatShape(want)}, found ${formatShape(type.shape)}`, e.span);
}

/** Expected values paired with per-element tolerances (for `~=`, half a unit in the last digit written). */
interface Expected {
  shape: number[];
  values: number[];
  tolerances: number[] | null;
}

function flattenExpected(e: Expr, rounded: boolean): Expected | string {
  const values: number[] = [];
  const tolerances: number[] = [];
  const walk = (x: Expr, depth: number, shape: number[]): string | null => {
    if (x.kind === 'list') {
      if (shape.length <= depth) shape.push(x.items.length);
      else if (shape[depth] !== x.items.length) return 'ragged list';
      for (const it of x.items) {
        const err = walk(it, depth + 1, shape);
        if (err) return err;
      }
      return null;
    }
    let sign = 1;
    let n: Expr = x;
    if (n.kind === 'unary') {
      sign = -1;
      n = n.operand;
    }
    if (n.kind !== 'num') return 'expected values are numbers or nested lists of numbers';
    values.push(sign * n.value);
    tolerances.push(rounded ? halfUlpWritten(n.text) : 0);
    return null;
  };
  const shape: number[] = [];
  const err = walk(e, 0, shape);
  if (err) return err;
  return { shape, values, tolerances: rounded ? tolerances : null };
}

/** Half a unit in the last digit written: "0.20" → 0.005, "-4" → 0.5, "1.5e-3" → 0.00005. */
export function halfUlpWritten(text: string): number {
  const m = /^(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return 0;
  const decimals = (m[2] ?? '').length;
  const exp = m[3] ? Number(m[3]) : 0;
  return 0.5 * Math.pow(10, exp - decimals);
}

export function checkExpectValue(e: Expect, actual: Tensor | null, reason: string | null, sink: DiagnosticSink): void {
  const what = e.what === 'grad' ? `∂root/∂${e.target}` : `\`${e.target}\``;
  if (!actual) {
    sink.error('expect-failed', reason ?? `${what} has no value`, e.span);
    return;
  }
  const exp = flattenExpected(e.expected as Expr, e.op === '~=');
  if (typeof exp === 'string') {
    sink.error('expect-failed', exp, (e.expected as Expr).span);
    return;
  }
  const scalar = exp.values.length === 1 && exp.shape.length === 0;
  if (!scalar && (exp.shape.length !== actual.rank || exp.shape.some((d, i) => d !== actual.shape[i]))) {
    sink.error('expect-failed', `${what} has shape [${actual.shape.join(', ')}] but the expected value has shape [${exp.shape.join(', ')}]`, e.span);
    return;
  }
  for (let i = 0; i < actual.size; i++) {
    const want = scalar ? exp.values[0] : exp.values[i];
    const got = actual.data[i];
    const tol = exp.tolerances ? (scalar ? exp.tolerances[0] : exp.tolerances[i]) : Math.max(EXPECT_ATOL, EXPECT_RTOL * Math.max(Math.abs(want), Math.abs(got)));
    if (!(Math.abs(got - want) <= tol)) {
      const at = actual.rank === 0 ? '' : ` at [${unravel(i, actual.shape).join(', ')}]`;
      const how = e.op === '~=' ? `within ±${tol}` : `(relative tolerance ${EXPECT_RTOL})`;
      sink.error('expect-failed', `expected ${what}${at} to be ${want} ${how}, found ${got}`, e.span);
      return;
    }
  }
}

