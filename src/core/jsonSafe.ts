// An Analysis as JSON can carry it: the core keeps a tensor's entries as Float64Array copies (they
// move between threads as one block), which JSON.stringify would write as {"0": …, "1": …}. What
// leaves through JSON (the language server's responses, whatever the transport) goes through here.
import type { NodeResult, TensorValues } from './model';

const plain = (v: TensorValues | null): number[] | null => (v === null || Array.isArray(v) ? v : Array.from(v));

function plainNode(n: NodeResult): NodeResult {
  return Array.isArray(n.value ?? []) && Array.isArray(n.grad ?? []) ? n : { ...n, value: plain(n.value), grad: plain(n.grad) };
}

/** `a` with every tensor's entries as plain numbers (the same object when they already are). */
export function jsonSafeAnalysis<A extends { nodes: NodeResult[] }>(a: A): A {
  return a.nodes.every((n) => plainNode(n) === n) ? a : { ...a, nodes: a.nodes.map(plainNode) };
}
