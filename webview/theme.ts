// Colours come from VS Code's theme variables only. Charts draw on canvas, where CSS variables do
// not reach, so they read the computed values here at render time and again on a theme change.

export interface Palette {
  fg: string;
  muted: string;
  bg: string;
  grid: string;
  border: string;
  green: string;
  red: string;
  blue: string;
  yellow: string;
  orange: string;
  purple: string;
  error: string;
  warning: string;
  focus: string;
  fontFamily: string;
  fontSize: number;
  monoFamily: string;
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  return v || fallback;
}

export function palette(): Palette {
  const style = getComputedStyle(document.body);
  const fg = cssVar(style, '--vscode-foreground', '#cccccc');
  return {
    fg,
    muted: cssVar(style, '--vscode-descriptionForeground', fg),
    bg: cssVar(style, '--vscode-editor-background', '#1e1e1e'),
    grid: withAlpha(cssVar(style, '--vscode-editorWidget-border', cssVar(style, '--vscode-widget-border', fg)), 0.35),
    border: cssVar(style, '--vscode-panel-border', cssVar(style, '--vscode-widget-border', fg)),
    green: cssVar(style, '--vscode-charts-green', '#89d185'),
    red: cssVar(style, '--vscode-charts-red', '#f14c4c'),
    blue: cssVar(style, '--vscode-charts-blue', '#3794ff'),
    yellow: cssVar(style, '--vscode-charts-yellow', '#cca700'),
    orange: cssVar(style, '--vscode-charts-orange', '#d18616'),
    purple: cssVar(style, '--vscode-charts-purple', '#b180d7'),
    error: cssVar(style, '--vscode-errorForeground', '#f48771'),
    warning: cssVar(style, '--vscode-editorWarning-foreground', '#cca700'),
    focus: cssVar(style, '--vscode-focusBorder', '#007fd4'),
    fontFamily: cssVar(style, '--vscode-font-family', 'system-ui, sans-serif'),
    fontSize: parseFloat(cssVar(style, '--vscode-font-size', '13')) || 13,
    monoFamily: cssVar(style, '--vscode-editor-font-family', 'monospace'),
  };
}

let probe: CanvasRenderingContext2D | null = null;

/** Any CSS colour with the given alpha, as rgba() (canvas normalises the colour for us). */
export function withAlpha(color: string, alpha: number): string {
  probe ??= document.createElement('canvas').getContext('2d');
  if (!probe) return color;
  probe.fillStyle = '#000000';
  probe.fillStyle = color;
  const c = probe.fillStyle;
  if (c.startsWith('#') && c.length === 7) {
    const n = parseInt(c.slice(1), 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  }
  const m = /^rgba?\(([^,]+),([^,]+),([^,)]+)/.exec(c);
  return m ? `rgba(${m[1].trim()}, ${m[2].trim()}, ${m[3].trim()}, ${alpha})` : color;
}

export type ThemeKind = 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';

export function themeKind(): ThemeKind {
  const cl = document.body.classList;
  if (cl.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (cl.contains('vscode-high-contrast')) return 'high-contrast';
  return cl.contains('vscode-light') ? 'light' : 'dark';
}

/** Calls `fn` after VS Code switches theme (it rewrites the body class and the variables on <html>). */
export function onThemeChange(fn: () => void): void {
  let pending = false;
  const fire = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      fn();
    });
  };
  const mo = new MutationObserver(fire);
  mo.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
  mo.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
}
