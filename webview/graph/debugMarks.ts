// The graph while a debug session walks it: the box of the current node is marked, and what the
// walk has not computed yet is greyed — values not yet produced in the forward pass, gradients
// (on the edges) not yet sent back in the backward pass — so the backward pass is seen flowing
// from the loss to the inputs.
import type { DebugView } from '../../src/shared/webviewProtocol';
import type { RenderedGraph } from './render';

/** Applies (or, with null, clears) the debugger's marks; returns the current node's element. */
export function markDebug(rendered: RenderedGraph, view: DebugView | null): SVGGElement | null {
  rendered.layer.classList.toggle('debugging', view !== null);
  const values = new Set(view?.values ?? []);
  const done = new Set(view?.done ?? []);
  let current: SVGGElement | null = null;
  for (const [id, g] of rendered.nodes) {
    const isCurrent = view !== null && view.current === id;
    g.classList.toggle('debug-current', isCurrent);
    g.classList.toggle('debug-no-value', view !== null && !values.has(id));
    if (isCurrent) current = g;
  }
  for (const e of rendered.layer.querySelectorAll<SVGGElement>('g.edge')) {
    const from = e.dataset.from ?? '';
    const to = e.dataset.to ?? '';
    // The root's stub carries the seed gradient: there from the first backward step.
    const gradDone = from === 'root' ? view?.phase === 'backward' : done.has(to);
    e.classList.toggle('debug-no-grad', view !== null && !gradDone);
    e.classList.toggle('debug-no-value', view !== null && from !== 'root' && !values.has(from));
  }
  if (view) rendered.layer.setAttribute('data-debug-phase', view.phase);
  else rendered.layer.removeAttribute('data-debug-phase');
  return current;
}
