// An Analysis as JSON can carry it: the core keeps a tensor's entries as Float64Array copies (they
// move between threads as one block), which JSON.stringify would write as {"0": …, "1": …}. What
// leaves through JSON (the language server's responses, whatever the transport) goes through here.
import type { NodeResult, TensorValues } from './model';

const plain = (v: TensorValues | null): number[] | null => (v === null || Array.isArray(v) ? v : Array.from(v));
const isPlain = (n: NodeResult) => (n.value === null || Array.isArray(n.value)) && (n.grad === null || Array.isArray(n.grad));

// A view asks for the same analysis again and again (every panel, every refresh): converted once.
const converted = new WeakMap<object, object>();

/** `a` with every tensor's entries as plain numbers (`a` itself when they already are). */
export function jsonSafeAnalysis<A extends { nodes: NodeResult[] }>(a: A): A {
  if (a.nodes.every(isPlain)) return a;
  const known = converted.get(a);
  if (known) return known as A;
  const safe = { ...a, nodes: a.nodes.map((n) => (isPlain(n) ? n : { ...n, value: plain(n.value), grad: plain(n.grad) })) };
  converted.set(a, safe);
  return safe;
}
