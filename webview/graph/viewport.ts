// Zoom and pan of the graph: a transform on one <g>, driven by the wheel, dragging, buttons and
// keys. A drag that moves more than a few pixels is a pan, not a click on the node under it.
import type { Viewport } from '../state';

const MIN_K = 0.05;
const MAX_K = 4;

export class PanZoom {
  t: Viewport = { k: 1, x: 0, y: 0 };
  /** True right after a drag, so the click that ends it is not taken as a node click. */
  dragged = false;

  constructor(
    private readonly svg: SVGSVGElement,
    private readonly layer: () => SVGGElement | null,
    private readonly onChange: (t: Viewport) => void,
  ) {
    svg.addEventListener('wheel', (ev) => this.onWheel(ev), { passive: false });
    svg.addEventListener('pointerdown', (ev) => this.onPointerDown(ev));
  }

  set(t: Viewport): void {
    this.t = { k: Math.min(MAX_K, Math.max(MIN_K, t.k)), x: t.x, y: t.y };
    this.layer()?.setAttribute('transform', `translate(${this.t.x.toFixed(1)} ${this.t.y.toFixed(1)}) scale(${this.t.k.toFixed(4)})`);
    // Far out the edge labels are unreadable noise: hide them (CSS) and show the structure.
    this.svg.classList.toggle('lod-low', this.t.k < 0.45);
    this.onChange(this.t);
  }

  size(): { w: number; h: number } {
    const r = this.svg.getBoundingClientRect();
    return { w: r.width, h: r.height };
  }

  zoomAt(factor: number, cx: number, cy: number): void {
    const k = Math.min(MAX_K, Math.max(MIN_K, this.t.k * factor));
    const f = k / this.t.k;
    this.set({ k, x: cx - (cx - this.t.x) * f, y: cy - (cy - this.t.y) * f });
  }

  zoomBy(factor: number): void {
    const { w, h } = this.size();
    this.zoomAt(factor, w / 2, h / 2);
  }

  panBy(dx: number, dy: number): void {
    this.set({ k: this.t.k, x: this.t.x + dx, y: this.t.y + dy });
  }

  /** Shows the whole content (w × h), never magnified beyond `maxK`. */
  fit(w: number, h: number, maxK = 1.5): void {
    const size = this.size();
    if (size.w === 0 || size.h === 0 || w === 0 || h === 0) return;
    const k = Math.min(size.w / w, size.h / h, maxK);
    this.set({ k, x: (size.w - w * k) / 2, y: (size.h - h * k) / 2 });
  }

  /** Puts the content point (px, py) at the centre of the view. */
  centerOn(px: number, py: number): void {
    const { w, h } = this.size();
    this.set({ k: this.t.k, x: w / 2 - px * this.t.k, y: h / 2 - py * this.t.k });
  }

  private onWheel(ev: WheelEvent): void {
    ev.preventDefault();
    const r = this.svg.getBoundingClientRect();
    // Pixel, line and page deltas all map to a gentle exponential zoom.
    const dy = ev.deltaMode === 1 ? ev.deltaY * 16 : ev.deltaMode === 2 ? ev.deltaY * 400 : ev.deltaY;
    this.zoomAt(Math.exp(-dy * 0.0015), ev.clientX - r.left, ev.clientY - r.top);
  }

  private onPointerDown(ev: PointerEvent): void {
    if (ev.button !== 0) return;
    const startX = ev.clientX;
    const startY = ev.clientY;
    const origin = { ...this.t };
    let moving = false;
    this.dragged = false;
    const move = (e: PointerEvent) => {
      const dx = e.clientX - startX;
      const dy = e.clientY - startY;
      if (!moving && Math.hypot(dx, dy) < 4) return;
      if (!moving) {
        moving = true;
        this.svg.setPointerCapture(ev.pointerId);
        this.svg.classList.add('panning');
      }
      this.set({ k: origin.k, x: origin.x + dx, y: origin.y + dy });
    };
    const up = () => {
      this.svg.removeEventListener('pointermove', move);
      this.svg.removeEventListener('pointerup', up);
      this.svg.removeEventListener('pointercancel', up);
      this.svg.classList.remove('panning');
      if (moving) {
        this.dragged = true;
        // The click event fires after pointerup; forget the drag once it has been swallowed.
        setTimeout(() => (this.dragged = false), 0);
      }
    };
    this.svg.addEventListener('pointermove', move);
    this.svg.addEventListener('pointerup', up);
    this.svg.addEventListener('pointercancel', up);
  }
}
