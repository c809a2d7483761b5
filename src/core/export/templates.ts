// What a target (PyTorch, NumPy) provides to the translator: one template per op id of the op
// table — or an explicit "not supported" with the reason — and the helper functions templates
// may ask for, emitted into the script only when used.
import type { AttrValue, OpDef, ValueType } from '../ops/op';
import type { Py } from './pyExpr';

export interface AttrArg {
  /** Python text: the user's literal or dimension name, or the op's default. */
  code: string;
  /** The resolved value (number, list, Dim, shape), for templates that branch on it. */
  value: AttrValue | undefined;
}

export interface TemplateInput {
  op: OpDef;
  /** Translated tensor arguments, in signature order. */
  args: Py[];
  /** Their static types (ranks decide e.g. `.T` versus `permute`). */
  types: ValueType[];
  out: ValueType;
  attr(name: string): AttrArg;
  /** Requests a helper function of the script's prelude; returns its name. */
  helper(name: string): string;
  /** The embedded random numbers of this call (dropout), or null where none can be embedded. */
  random(): Py | null;
}

export interface Unsupported {
  unsupported: string;
}

export interface ExprTemplate {
  kind: 'expr';
  /**
   * 'keep': Python numbers may be passed as they are (operators); 'tensor': make them tensors
   * first (torch functions reject Python floats).
   */
  numbers: 'keep' | 'tensor';
  render(t: TemplateInput): Py | Unsupported;
}

export type OpTemplate = ExprTemplate | { kind: 'unsupported'; reason: string };

export interface HelperDef {
  /** Python source of the function, unindented. */
  code: string;
  /** Helpers it calls. */
  needs?: string[];
}

export interface TargetOps {
  templates: Readonly<Record<string, OpTemplate>>;
  helpers: Readonly<Record<string, HelperDef>>;
}

export function isUnsupported(v: Py | Unsupported): v is Unsupported {
  return 'unsupported' in v;
}

/** The helpers in an order where each comes after the helpers it needs. */
export function orderHelpers(used: Iterable<string>, helpers: Readonly<Record<string, HelperDef>>): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const n of helpers[name]?.needs ?? []) visit(n);
    out.push(name);
  };
  for (const n of [...used].sort()) visit(n);
  return out;
}
