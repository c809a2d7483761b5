// Where the graph opens: the layout's direction from the panel's shape, and the first view, fitted
// when the whole graph reads at that size, else at the readable size around the selection or the
// loss. Pure (sizes in, layout and viewport out), so it is unit-tested without a browser.
import type { GraphViewModel } from '../../src/core/browser';
import { layoutGraph, type Align, type Direction, type FrameSpec, type GraphLayout, type Measure, type PlacedNode } from './layout';

/**
 * The smallest zoom the view opens at: every text is then at least its CSS size (titles 12 px,
 * edge values, shapes and names 11 px). A graph that does not fit at this zoom opens at it, around
 * the selection or the loss, with the overview in the corner.
 */
export const READABLE_K = 1;
/** Fitting never magnifies beyond this (a three-node graph would fill the panel). */
export const MAX_FIT_K = 1.5;
/** Above this many nodes the direction comes from the panel's shape alone (no trial layouts). */
const TRY_BOTH_MAX = 400;
/** Up to this many nodes each direction also tries every alignment (8 layouts of a small graph). */
const TRY_ALIGN_MAX = 80;
const ALIGNS: Align[] = ['UL', 'UR', 'DL', 'DR'];

/** A zoom and pan (the shape of the store's Viewport; this module stays free of the DOM). */
export interface View {
  k: number;
  x: number;
  y: number;
}

export interface Size {
  w: number;
  h: number;
}

/** The scale at which a layout fits a view of this size. */
export function fitScale(l: GraphLayout, size: Size): number {
  return Math.min(size.w / l.width, size.h / l.height);
}

/**
 * Top-to-bottom in a tall panel, left-to-right in a wide one, unless the other direction shows the
 * graph clearly larger; a small graph also tries dagre's four alignments (one keeps the main chain
 * straight where another drifts it sideways) and keeps the one that fits best.
 */
export function chooseLayout(view: GraphViewModel, measure: Measure, size: Size, frames: readonly FrameSpec[] = []): GraphLayout {
  const byShape: Direction = size.w >= size.h ? 'LR' : 'TB';
  const first = layoutGraph(view, measure, byShape, undefined, frames);
  if (size.w === 0 || size.h === 0 || view.nodes.length > TRY_BOTH_MAX) return first;
  const best = (dir: Direction): GraphLayout => {
    let top = dir === byShape ? first : layoutGraph(view, measure, dir, undefined, frames);
    if (view.nodes.length > TRY_ALIGN_MAX) return top;
    for (const align of ALIGNS) {
      const l = layoutGraph(view, measure, dir, align, frames);
      if (fitScale(l, size) > fitScale(top, size) * 1.01) top = l;
    }
    return top;
  };
  const mine = best(byShape);
  const other = best(byShape === 'LR' ? 'TB' : 'LR');
  return fitScale(other, size) > fitScale(mine, size) * 1.15 ? other : mine;
}

/** Centres `at` on one axis, but never past the graph's edges (no empty half-panel beside the loss). */
function axis(view: number, content: number, at: number): number {
  if (content <= view) return (view - content) / 2;
  return Math.min(0, Math.max(view - content, view / 2 - at));
}

/** The first view: fitted if the graph reads whole, else readable around `focus` (default: the root). */
export function openingView(layout: GraphLayout, size: Size, focus: PlacedNode | null): View {
  const fit = fitScale(layout, size);
  if (fit >= READABLE_K) {
    const k = Math.min(fit, MAX_FIT_K);
    return { k, x: (size.w - layout.width * k) / 2, y: (size.h - layout.height * k) / 2 };
  }
  const k = READABLE_K;
  const at = focus ?? layout.nodes.find((p) => p.node.isRoot) ?? layout.nodes[layout.nodes.length - 1];
  return { k, x: axis(size.w, layout.width * k, at.x * k), y: axis(size.h, layout.height * k, at.y * k) };
}
