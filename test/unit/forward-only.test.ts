// A gradient check's evaluations run forward only (Execution.evalNode's forwardOnly): an op may
// then leave out what it keeps for backward (gelu's slope, softmax_ce's probabilities, conv2d's
// patches), but its value and kink sides must be the bits of the full forward, or a check would
// compare f at x ± h against a base f computed another way. Every op node of every example.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeSession } from '../../src/core/analyze';
import type { GraphNode } from '../../src/core/engine/graph';
import { bitsOf } from './helpers/bits';

const EXAMPLES = join(__dirname, '..', '..', 'examples');

test('forward-only evaluations give every op node of every example the bits of the full forward, kink sides included', () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.grad'));
  assert.ok(files.length >= 15, `${files.length} examples`);
  const opsSeen = new Set<string>();
  let nodes = 0;
  for (const file of files) {
    const s = analyzeSession(readFileSync(join(EXAMPLES, file), 'utf8'), { gradcheck: false });
    const { graph, execution: ex } = s;
    if (!graph || !ex) continue;
    for (const id of graph.order) {
      const node: GraphNode = graph.nodes[id];
      if (node.kind !== 'op' || !ex.values[id]) continue;
      // With kinks tracked (as the checks run), then forward only: the same node, the same inputs.
      ex.evalNode(id, true, false);
      const full: { value: string; kinks: string } = { value: bitsOf(ex.values[id]), kinks: bitsOf(ex.kinks[id]) };
      ex.evalNode(id, true, true);
      assert.equal(bitsOf(ex.values[id]), full.value, `${file}: \`${node.label}\` (${node.op?.id}) value`);
      assert.equal(bitsOf(ex.kinks[id]), full.kinks, `${file}: \`${node.label}\` (${node.op?.id}) kink sides`);
      // Leave the node as the analysis had it for the nodes after it.
      ex.evalNode(id, false, false);
      opsSeen.add(node.op?.id ?? '?');
      nodes++;
    }
  }
  for (const op of ['gelu', 'softmax_ce', 'conv2d', 'matmul', 'relu']) assert.ok(opsSeen.has(op), `the examples use ${op}`);
  assert.ok(nodes > 200, `${nodes} op nodes`);
});
