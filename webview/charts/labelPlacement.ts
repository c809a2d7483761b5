// Where a band's label goes so that no bar covers it: the first spot, along the band's edges (its
// corners, the gaps between bars, above a short bar), whose box is free of every bar. No DOM, no chart.js: unit-tested in node.

export interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

function overlaps(a: Box, b: Box): boolean {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

/**
 * The top-left corner for a `width`×`height` label inside `band` that overlaps no `obstacles`
 * (bars), trying the preferred side first, then every gap between obstacles; null when none is free
 * (the chart's description names the band instead).
 */
export function placeLabel(band: Box, width: number, height: number, obstacles: readonly Box[], prefer: 'left' | 'right' = 'right', pad = 3): { x: number; y: number } | null {
  if (band.right - band.left < width + 2 * pad || band.bottom - band.top < height + 2 * pad) return null;
  const xs = [prefer === 'left' ? band.left + pad : band.right - pad - width, prefer === 'left' ? band.right - pad - width : band.left + pad];
  // The gaps between bars, left to right.
  const sorted = [...obstacles].sort((a, b) => a.left - b.left);
  for (let i = 0; i + 1 < sorted.length; i++) {
    const gap = sorted[i + 1].left - sorted[i].right;
    if (gap >= width + 2 * pad) xs.push(sorted[i].right + pad);
  }
  if (sorted.length) {
    xs.push(sorted[0].left - pad - width);
    xs.push(sorted[sorted.length - 1].right + pad);
  }
  // Over a bar's column, where the bar is short enough to leave room.
  for (const o of sorted) xs.push(o.left + (o.right - o.left - width) / 2);
  const ys = [band.top + pad, band.bottom - pad - height];
  for (const y of ys) {
    for (const x of xs) {
      const box = { left: x, top: y, right: x + width, bottom: y + height };
      if (box.left < band.left || box.right > band.right) continue;
      if (!obstacles.some((o) => overlaps(box, o))) return { x, y };
    }
  }
  return null;
}
