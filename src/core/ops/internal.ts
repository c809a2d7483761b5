// Ops the engine inserts itself; users never write them, so they are not in the language reference.
import { ok } from '../shapes/broadcast';
import type { OpDef } from './op';

/** Marks the boundary of a gate (its inputs and its output), so a gate can be run in isolation. */
export const identity: OpDef = {
  id: 'identity',
  marker: true,
  sameEntries: true,
  name: 'identity',
  group: 'arithmetic',
  signature: [{ name: 'x', kind: 'tensor', doc: 'value' }],
  summary: 'The value itself.',
  explain: 'Passes the upstream gradient through unchanged.',
  preservesInt: true,
  shape: (ctx) => ok(ctx.types[0].shape),
  forward: ([x]) => ({ value: x }),
  backward: ({ grad }) => [grad],
  // The value itself: nothing to compute.
  cost: () => 0,
  backwardCost: () => 0,
  derive: ({ grad }) => [grad],
};
