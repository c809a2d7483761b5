// Which tensor the histograms show first: the most informative one, not the first param (in an
// rnn that is h0, all zeros). No DOM: unit-tested in node.
import type { NodeResult, TensorStats } from '../../src/core/browser';

function varies(s: TensorStats | null): boolean {
  return s !== null && Number.isFinite(s.min) && Number.isFinite(s.max) && s.max > s.min;
}

function lexicographic(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/**
 * Values that vary first, then gradients that vary, then params (what one tunes), then the most
 * entries (a fuller histogram); ties keep the file's order.
 */
export function defaultHistogramNode(nodes: readonly NodeResult[]): NodeResult | undefined {
  const score = (n: NodeResult) => [Number(varies(n.valueStats)), Number(varies(n.gradStats)), Number(n.kind === 'param'), n.shape.reduce((a, b) => a * b, 1)];
  let best: NodeResult | undefined;
  let bestScore: number[] = [];
  for (const n of nodes) {
    if (!n.valueStats) continue;
    const s = score(n);
    if (!best || lexicographic(s, bestScore) > 0) {
      best = n;
      bestScore = s;
    }
  }
  return best;
}
