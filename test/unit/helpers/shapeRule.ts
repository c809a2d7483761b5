// Test helpers for ops' shape rules: argument types, and reading a rule's result as a success or
// a failure (each asserts which one it is, so a test reads the part it expected).
import assert from 'node:assert/strict';
import type { ValueType } from '../../../src/core/ops/op';
import type { ShapeResult } from '../../../src/core/shapes/broadcast';
import type { Shape } from '../../../src/core/shapes/shape';

/** A float argument of this shape. */
export const f = (shape: Shape): ValueType => ({ shape, isInt: false });

/** An integer argument (labels, indices) of this shape. */
export const int = (shape: Shape): ValueType => ({ shape, isInt: true });

/** The shape of a rule that must succeed (the rule's message if it failed). */
export function okShape(r: ShapeResult): Shape {
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r.shape;
}

/** The dimension names (or sizes) of a rule that must succeed. */
export function syms(r: ShapeResult): string[] {
  return okShape(r).map((d) => d.sym);
}

/** The failure of a rule that must fail: its message, code and the argument it blames. */
export function failure(r: ShapeResult): { message: string; code?: string; argIndex?: number } {
  assert.ok(!r.ok, 'expected the shape rule to fail');
  return r;
}
