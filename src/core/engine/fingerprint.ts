// Structural fingerprints of graph nodes: two nodes get the same fingerprint when they compute
// the same numbers — the same operation and attributes on inputs with the same fingerprints, or
// a leaf with the same name, kind and bits. Source positions, comments and formatting do not
// enter, so an edit elsewhere in the file leaves a node's fingerprint unchanged. This is what
// lets the editor reuse gradient checks across keystrokes (checks/checkCache.ts).
import type { Tensor } from '../tensor/tensor';
import type { Graph, GraphNode } from './graph';

/** Two independent 53-bit hashes (cyrb53 with different seeds), as one base-36 string. */
export function hashString(text: string): string {
  return `${cyrb53(text, 0x9e3779b9).toString(36)}.${cyrb53(text, 0x85ebca6b).toString(36)}`;
}

function cyrb53(text: string, seed: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  return mix(h1, h2);
}

function mix(h1: number, h2: number): number {
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** Hash of the exact bits of a tensor's data (and its shape). */
export function hashTensor(t: Tensor): string {
  const words = new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length * 2);
  let a1 = 0xdeadbeef;
  let a2 = 0x41c6ce57;
  let b1 = 0x9e3779b9;
  let b2 = 0x85ebca6b;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    a1 = Math.imul(a1 ^ w, 2654435761);
    a2 = Math.imul(a2 ^ w, 1597334677);
    b1 = Math.imul(b1 ^ w, 2246822519);
    b2 = Math.imul(b2 ^ w, 3266489917);
  }
  return `${t.shape.join('x')}:${mix(a1, a2).toString(36)}.${mix(b1, b2).toString(36)}`;
}

/** What a node computes, apart from its inputs. */
function describe(n: GraphNode): string {
  const common = `${n.kind}|${n.sizes.join('x')}|${n.type.isInt ? 'i' : 'f'}|${n.requiresGrad ? 'g' : '-'}|${n.rngKey ?? ''}`;
  if (n.op) return `${common}|${n.op.id}|${JSON.stringify(n.attrs, sortedKeys)}`;
  // Leaves: the name picks the random streams of the checks; the bits are the value.
  return `${common}|${n.name ?? ''}|${n.init ? hashTensor(n.init) : '-'}`;
}

function sortedKeys(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
  return value;
}

/**
 * A fingerprint per node id, computed lazily and memoised. Walks inputs with an explicit stack
 * (graphs of 10^5 nodes must not overflow the call stack).
 */
export class Fingerprints {
  private readonly memo: (string | undefined)[];

  constructor(private readonly graph: Graph) {
    this.memo = new Array<string | undefined>(graph.nodes.length);
  }

  of(id: number): string {
    const done = this.memo[id];
    if (done !== undefined) return done;
    const stack = [id];
    while (stack.length) {
      const top = stack[stack.length - 1];
      if (this.memo[top] !== undefined) {
        stack.pop();
        continue;
      }
      const node = this.graph.nodes[top];
      const pending = node.inputs.filter((i) => this.memo[i] === undefined);
      if (pending.length) {
        stack.push(...pending);
        continue;
      }
      stack.pop();
      this.memo[top] = hashString(`${describe(node)}(${node.inputs.map((i) => this.memo[i]).join(',')})`);
    }
    return this.memo[id] as string;
  }
}
