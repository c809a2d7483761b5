// Health checks of the newer layers, from the figures their backward passes publish (records):
// attention whose softmax has collapsed onto one key, an LSTM whose forget gates are stuck at 0 or
// 1, and a normalisation fed a constant row. Like the other health findings, each is about a
// network that learns badly although every gradient is right.
import type { Graph } from '../engine/graph';
import type { Execution } from '../engine/run';
import { located, percent, type HealthFinding } from './health';

export const LAYER_HEALTH = {
  /** Fraction of query rows with one key at ≥ 99% of the weight: info from, warning from. */
  collapseInfo: 0.25,
  collapseWarn: 0.5,
  /** Fraction of forget-gate entries within 0.01 of 0 or 1: info from, warning from. */
  forgetInfo: 0.25,
  forgetWarn: 0.5,
} as const;

/** One finding per node (a layer) and kind. */
export function checkLayerHealth(graph: Graph, ex: Execution): HealthFinding[] {
  const out: HealthFinding[] = [];
  for (const [id, rec] of ex.records) {
    const n = graph.nodes[id];
    const name = n.op?.name ?? 'layer';
    const where = located(graph, n);
    const c = rec.attentionCollapse;
    if (c && c[1] > 0) {
      const frac = c[0] / c[1];
      if (frac >= LAYER_HEALTH.collapseInfo) {
        out.push({
          kind: 'attention-collapse',
          severity: frac >= LAYER_HEALTH.collapseWarn ? 'warning' : 'info',
          message:
            `${c[0]} of the ${c[1]} query rows of this ${name} (${percent(frac)}) put ≥ 99% of their weight on one key: its softmax is saturated, so the gradient P∘(dP − Σ dP·P) reaching q and k is nearly 0 and they barely learn. ` +
            'The scores are too large: check the 1/√d scale, shrink the init of the query and key projections, or normalise the input (layernorm).',
          node: id,
          value: frac,
          ...where,
        });
      }
    }
    const f = rec.forgetGateSaturation;
    if (f && f[2] > 0) {
      const frac = (f[0] + f[1]) / f[2];
      if (frac >= LAYER_HEALTH.forgetInfo) {
        const closed = f[0] >= f[1];
        out.push({
          kind: 'lstm-gate-saturated',
          severity: frac >= LAYER_HEALTH.forgetWarn ? 'warning' : 'info',
          message:
            `${percent(frac)} of this ${name}'s forget-gate values are within 0.01 of 0 or 1 (${f[0]} near 0, ${f[1]} near 1, of ${f[2]}): σ′ = f(1 − f) is nearly 0 there, so the forget gate barely learns; ` +
            (closed
              ? 'near 0 the cell also forgets at every step, cutting the additive path that carries gradients back in time. Lower the scale of Wx and Wh, or start the forget-gate bias at 1.'
              : 'near 1 the cell never forgets. Lower the scale of Wx and Wh, or the forget-gate bias.'),
          node: id,
          value: frac,
          ...where,
        });
      }
    }
    const v = rec.lowVarianceSets;
    if (v && v[0] > 0) {
      out.push({
        kind: 'constant-norm-input',
        severity: 'warning',
        message:
          `${v[0]} of the ${v[1]} sets this ${name} normalises ${v[0] === 1 ? 'has' : 'have'} a variance no larger than eps (a constant row): x̂ is 0 or noise there, the output is just beta, and the gradient of x is scaled by 1/√(var + eps), up to 1/√eps. ` +
          'Check the input (a padded or all-zero row?), or raise eps.',
        node: id,
        value: v[0] / v[1],
        ...where,
      });
    }
  }
  return out;
}
