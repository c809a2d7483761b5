// DAP variables over a stop's frames: scopes of named tensors; a tensor shows its shape and norm
// and expands to its rows (indexed, so a client pages through large ones), with `value` and
// `grad` children when a gradient has been computed; scalars are numbers. References live until
// the next stop (DAP's rule), so they are plain handles into this stop's tensors.
import { Handles, Scope } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { formatNumber, formatShape, norm, type FrameEntry, type FrameView, type Tensor, type ValueType } from '../core';

/** What a handle stands for. */
type Ref =
  | { kind: 'entries'; entries: Entry[] }
  /** A named tensor with a gradient: its `value` and `grad`. */
  | { kind: 'pair'; value: Tensor; grad: Tensor; type: ValueType | null }
  /** Entries of a tensor from `offset`, of the given shape (a row of a larger one, or all of it). */
  | { kind: 'rows'; t: Tensor; offset: number; shape: number[]; isInt: boolean };

export interface Entry {
  name: string;
  value: Tensor | string;
  grad?: Tensor | null;
  type?: ValueType | null;
}

const PREVIEW = 6;

export class Variables {
  private handles = new Handles<Ref>();

  /** Forgets every reference (at each stop). */
  reset(): void {
    this.handles.reset();
  }

  scopes(view: FrameView): DebugProtocol.Scope[] {
    const out: DebugProtocol.Scope[] = [];
    const scope = (name: string, entries: Entry[], hint?: string) => {
      const s: DebugProtocol.Scope = new Scope(name, this.handles.create({ kind: 'entries', entries }), false);
      s.namedVariables = entries.length;
      if (hint) s.presentationHint = hint;
      out.push(s);
    };
    if (view.step) {
      const st = view.step;
      scope('Backward step', [
        { name: 'op', value: `${st.label}: ${st.rule}` },
        { name: 'dout', value: st.upstream },
        ...st.local.map((l) => ({ name: `local ∂/∂${l.input}`, value: formatNumber(l.value) })),
        ...st.sent.map((s) => ({ name: `→ ${s.input}`, value: s.grad })),
      ]);
    }
    scope('Locals', view.locals.map(toEntry), 'locals');
    scope('Gradients', view.gradients.map((g) => ({ name: g.name, value: g.value, type: g.type })));
    scope('Parameters', view.parameters.map(toEntry), 'arguments');
    return out;
  }

  variables(ref: number, args: DebugProtocol.VariablesArguments): DebugProtocol.Variable[] {
    const r = this.handles.get(ref);
    if (!r) return [];
    if (r.kind === 'entries') return r.entries.map((e) => this.variable(e));
    if (r.kind === 'pair') {
      if (args.filter === 'indexed') return [];
      return [this.variable({ name: 'value', value: r.value, type: r.type }), this.variable({ name: 'grad', value: r.grad, type: r.type })];
    }
    if (args.filter === 'named') return [];
    const rows = r.shape[0] ?? 0;
    const start = Math.max(0, args.start ?? 0);
    const end = Math.min(rows, args.count ? start + args.count : rows);
    const inner = r.shape.slice(1);
    const step = inner.reduce((a, b) => a * b, 1);
    const out: DebugProtocol.Variable[] = [];
    for (let i = start; i < end; i++) {
      const offset = r.offset + i * step;
      if (inner.length === 0) out.push({ name: `[${i}]`, value: number(r.t.data[offset], r.isInt), variablesReference: 0 });
      else out.push(this.rowsVariable(`[${i}]`, r.t, offset, inner, r.isInt));
    }
    return out;
  }

  /** A value for evaluate: its text and a reference when it expands. */
  result(value: Tensor, type: ValueType | null): { result: string; type?: string; variablesReference: number; indexedVariables?: number } {
    const v = this.variable({ name: '', value, type });
    return { result: v.value, type: v.type, variablesReference: v.variablesReference, indexedVariables: v.indexedVariables };
  }

  private variable(e: Entry): DebugProtocol.Variable {
    if (typeof e.value === 'string') return { name: e.name, value: e.value, variablesReference: 0 };
    const t = e.value;
    const isInt = e.type?.isInt === true;
    const typeText = e.type ? `${isInt ? 'int' : 'float'}${e.type.shape.length ? formatShape(e.type.shape) : ''}` : undefined;
    if (e.grad) {
      const ref = this.handles.create({ kind: 'pair', value: t, grad: e.grad, type: e.type ?? null });
      return { name: e.name, value: summary(t, isInt), type: typeText, variablesReference: ref, namedVariables: 2 };
    }
    if (t.rank === 0) return { name: e.name, value: number(t.data[0], isInt), type: typeText, variablesReference: 0 };
    const v = this.rowsVariable(e.name, t, 0, [...t.shape], isInt);
    return { ...v, type: typeText };
  }

  private rowsVariable(name: string, t: Tensor, offset: number, shape: number[], isInt: boolean): DebugProtocol.Variable {
    const ref = this.handles.create({ kind: 'rows', t, offset, shape, isInt });
    return { name, value: rowText(t, offset, shape, isInt), variablesReference: ref, indexedVariables: shape[0] };
  }
}

function toEntry(e: FrameEntry): Entry {
  return { name: e.name, value: e.value, grad: e.grad, type: e.type };
}

function number(v: number, isInt: boolean): string {
  return isInt ? String(v) : formatNumber(v);
}

/** A whole tensor: a number, or its shape and norm. */
export function summary(t: Tensor, isInt = false): string {
  if (t.rank === 0) return number(t.data[0], isInt);
  return `[${t.shape.join(', ')}] · norm ${formatNumber(norm(t))}`;
}

/** A row (or the whole tensor) of `shape` from `offset`: its first entries, or its shape and norm. */
function rowText(t: Tensor, offset: number, shape: number[], isInt: boolean): string {
  const size = shape.reduce((a, b) => a * b, 1);
  if (shape.length === 1) {
    const shown = Array.from(t.data.subarray(offset, offset + Math.min(size, PREVIEW)), (v) => number(v, isInt));
    return `[${shown.join(', ')}${size > PREVIEW ? ', …' : ''}]`;
  }
  let s = 0;
  for (let i = offset; i < offset + size; i++) s += t.data[i] * t.data[i];
  return `[${shape.join(', ')}] · norm ${formatNumber(Math.sqrt(s))}`;
}
