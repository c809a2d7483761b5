// How readable the dashboard's graph is as drawn, measured in the webview's DOM (shared by the
// browser test of the webview and the end-to-end test in VS Code). The measurement is a script
// string, evaluated in the page, so it needs no DOM types here and no helper of the test's bundler.

export interface GraphReadability {
  /** Node titles drawn. */
  labels: number;
  /** Median height of a node title's box on screen, in px. */
  medianHeight: number;
  /** Smallest rendered font size of any text in the graph (CSS size × zoom), in px. */
  minFontPx: number;
  /** Share of node titles wholly inside the visible graph panel. */
  inside: number;
  /** Pairs of texts (titles, shapes, names, edge values) whose boxes overlap, as "a | b". */
  overlapping: string[];
  /** The layout's direction. */
  dir: string;
  /** The panel's size. */
  panel: { w: number; h: number };
}

/** Evaluates to a GraphReadability in the webview's document. */
export const GRAPH_READABILITY_JS = `(() => {
  const svg = document.querySelector('svg.graph-svg');
  const layer = svg && svg.querySelector('g.graph-layer');
  if (!svg || !layer) return null;
  const box = svg.getBoundingClientRect();
  const titles = Array.from(svg.querySelectorAll('g.node .node-title')).map((t) => t.getBoundingClientRect());
  const heights = titles.map((r) => r.height).sort((a, b) => a - b);
  const medianHeight = heights.length ? heights[Math.floor((heights.length - 1) / 2)] : 0;
  const inside = titles.filter((r) => r.left >= box.left - 0.5 && r.right <= box.right + 0.5 && r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5).length / Math.max(1, titles.length);
  const texts = Array.from(layer.querySelectorAll('text')).filter((t) => (t.textContent || '').trim() && getComputedStyle(t).display !== 'none');
  let minFontPx = Infinity;
  for (const t of texts) {
    const m = t.getScreenCTM();
    const k = m ? Math.hypot(m.a, m.b) : 1;
    minFontPx = Math.min(minFontPx, parseFloat(getComputedStyle(t).fontSize) * k);
  }
  const rects = texts.map((t) => ({ text: t.textContent.trim(), r: t.getBoundingClientRect() }));
  const overlapping = [];
  for (let i = 0; i < rects.length; i++)
    for (let j = i + 1; j < rects.length; j++) {
      const a = rects[i].r, b = rects[j].r;
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 1 && h > 2) overlapping.push(rects[i].text + ' | ' + rects[j].text);
    }
  return { labels: titles.length, medianHeight, minFontPx, inside, overlapping, dir: layer.getAttribute('data-dir') || '', panel: { w: box.width, h: box.height } };
})()`;
