// The overview in the corner of a graph too large to read whole: every node as a dot-sized box and
// the visible part as a frame; a click or a drag there moves the view. Shown only when part of the
// graph is out of view.
import { s } from '../dom';
import type { Viewport } from '../state';
import type { GraphLayout } from './layout';

const MAX_W = 160;
const MAX_H = 120;

export class Minimap {
  readonly el: SVGSVGElement;
  private readonly frame: SVGRectElement;
  private readonly content: SVGGElement;
  private layout: GraphLayout | null = null;
  private scale = 1;

  /** `centerOn` puts a point of the graph (layout coordinates) at the centre of the view. */
  constructor(private readonly centerOn: (x: number, y: number) => void) {
    this.content = s('g', { class: 'minimap-nodes' });
    this.frame = s('rect', { class: 'minimap-frame' });
    this.el = s('svg', { class: 'graph-minimap', role: 'img', 'aria-label': 'Overview of the graph; click to move the view there' }, this.content, this.frame);
    this.el.setAttribute('hidden', '');
    const move = (ev: PointerEvent) => {
      const r = this.el.getBoundingClientRect();
      this.centerOn((ev.clientX - r.left) / this.scale, (ev.clientY - r.top) / this.scale);
    };
    this.el.addEventListener('pointerdown', (ev) => {
      ev.stopPropagation();
      ev.preventDefault();
      this.el.setPointerCapture(ev.pointerId);
      move(ev);
      const onMove = (e: PointerEvent) => move(e);
      const up = () => {
        this.el.removeEventListener('pointermove', onMove);
        this.el.removeEventListener('pointerup', up);
      };
      this.el.addEventListener('pointermove', onMove);
      this.el.addEventListener('pointerup', up);
    });
    // A click on the overview is not a click on the graph under it.
    this.el.addEventListener('click', (ev) => ev.stopPropagation());
    this.el.addEventListener('wheel', (ev) => ev.stopPropagation());
  }

  setLayout(layout: GraphLayout | null): void {
    this.layout = layout;
    this.content.replaceChildren();
    if (!layout) return;
    this.scale = Math.min(MAX_W / layout.width, MAX_H / layout.height);
    const k = this.scale;
    this.el.setAttribute('width', String(Math.ceil(layout.width * k)));
    this.el.setAttribute('height', String(Math.ceil(layout.height * k)));
    for (const p of layout.nodes) {
      const cls = `minimap-node kind-${p.node.kind}${p.node.isRoot ? ' root' : ''}${p.node.status !== 'ok' ? ` status-${p.node.status}` : ''}`;
      this.content.appendChild(s('rect', { class: cls, x: (p.x - p.w / 2) * k, y: (p.y - p.h / 2) * k, width: Math.max(2, p.w * k), height: Math.max(2, p.h * k) }));
    }
  }

  /** Draws the visible part; hides the overview when the whole graph is in view. */
  update(t: Viewport, view: { w: number; h: number }): void {
    const l = this.layout;
    if (!l || view.w === 0) {
      this.el.setAttribute('hidden', '');
      return;
    }
    const x0 = -t.x / t.k;
    const y0 = -t.y / t.k;
    const x1 = x0 + view.w / t.k;
    const y1 = y0 + view.h / t.k;
    const whole = x0 <= 1 && y0 <= 1 && x1 >= l.width - 1 && y1 >= l.height - 1;
    if (whole) {
      this.el.setAttribute('hidden', '');
      return;
    }
    this.el.removeAttribute('hidden');
    const k = this.scale;
    const cx0 = Math.max(0, x0);
    const cy0 = Math.max(0, y0);
    this.frame.setAttribute('x', String(cx0 * k));
    this.frame.setAttribute('y', String(cy0 * k));
    this.frame.setAttribute('width', String(Math.max(2, (Math.min(l.width, x1) - cx0) * k)));
    this.frame.setAttribute('height', String(Math.max(2, (Math.min(l.height, y1) - cy0) * k)));
  }
}
