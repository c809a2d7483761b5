// Cross-checks against PyTorch: export a GradLens graph as JSON, evaluate it with torch
// (test/torch/reference.py, float64, torch.autograd) and read back the root and gradients.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { AnalysisSession } from '../../../src/core/analyze';
import type { AttrValue } from '../../../src/core/ops/op';
import type { Tensor } from '../../../src/core/tensor/tensor';

export const PYTHON = process.env.GRADLENS_PYTHON ?? '/usr/bin/python3';
const SCRIPT = join(__dirname, '..', '..', 'torch', 'reference.py');

let available: boolean | null = null;

/** Whether Python with torch is installed (Debian: apt-get install python3-torch). */
export function torchAvailable(): boolean {
  if (available === null) {
    const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
    available = r.status === 0;
  }
  return available;
}

/** CI sets GRADLENS_REQUIRE_TORCH=1 so that a missing torch fails instead of skipping. */
export function torchRequired(): boolean {
  return process.env.GRADLENS_REQUIRE_TORCH === '1';
}

function plainAttr(v: AttrValue): unknown {
  if (v && typeof v === 'object' && !Array.isArray(v) && 'sym' in v) return v.size;
  return v;
}

export function exportGraph(session: AnalysisSession): unknown {
  const graph = session.graph;
  const ex = session.execution;
  if (!graph || !ex || graph.root === null) throw new Error('nothing to export: the file did not run');
  const nodes = graph.order.map((id) => {
    const n = graph.nodes[id];
    if (n.kind !== 'op') {
      const v = ex.values[id] as Tensor;
      return { id, kind: 'leaf', name: n.name ?? `#${id}`, shape: [...v.shape], value: Array.from(v.data), requiresGrad: n.requiresGrad && n.kind !== 'literal' };
    }
    const attrs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(n.attrs)) attrs[k] = plainAttr(v);
    if (n.op?.id === 'reshape') attrs.sizes = n.sizes;
    if (n.op?.id === 'dropout') attrs.random = Array.from(ex.randomFor(id, (ex.values[id] as Tensor).size));
    return { id, kind: 'op', op: n.op?.id, inputs: n.inputs, attrs };
  });
  return { root: graph.root, nodes };
}

export interface TorchResult {
  root: number;
  grads: Record<string, number[] | null>;
  torch: string;
}

export function runTorch(exported: unknown): TorchResult {
  const r = spawnSync(PYTHON, [SCRIPT], { input: JSON.stringify(exported), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`torch reference failed: ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout) as TorchResult;
}
