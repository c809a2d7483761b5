// Text widths for the layout, from the same fonts the stylesheet gives the SVG text.
import { palette } from '../theme';
import type { Measure } from './layout';

/** Text widths from the same fonts the stylesheet gives the SVG text. */
export function measurer(): Measure {
  const ctx = document.createElement('canvas').getContext('2d');
  const p = palette();
  const fonts = {
    title: `600 12px ${p.fontFamily}`,
    detail: `11px ${p.monoFamily}`,
    caption: `italic 11px ${p.fontFamily}`,
    edge: `11px ${p.monoFamily}`,
  };
  return (text, role) => {
    if (!text) return 0;
    if (!ctx) return text.length * 7;
    ctx.font = fonts[role];
    return ctx.measureText(text).width;
  };
}
