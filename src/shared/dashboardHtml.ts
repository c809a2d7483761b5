// The dashboard page as the extension serves it. Pure (no DOM, no vscode): the extension calls it
// in Node and the browser tests call it to serve the very same page, CSP included.

export type DashboardMode = 'panel' | 'compact';

export interface DashboardHtmlOptions {
  /** URI of dist/webview.js as the webview sees it (webview.asWebviewUri(...).toString()). */
  scriptUri: string;
  /** webview.cspSource. */
  cspSource: string;
  /** A fresh random nonce per page load (base64 or hex). */
  nonce: string;
  /** 'panel': the full dashboard; 'compact': the sidebar view with the headline charts. */
  mode: DashboardMode;
  /** Page title (defaults to "GradLens"). */
  title?: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** The Content-Security-Policy of the page: nothing but our own script (by nonce) and our own styles. */
export function dashboardCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
  ].join('; ');
}

export function dashboardHtml(options: DashboardHtmlOptions): string {
  const { scriptUri, cspSource, nonce } = options;
  // A nonce or source with quotes or spaces would let a caller widen the policy by accident.
  if (!/^[A-Za-z0-9+/=_-]{8,}$/.test(nonce)) throw new Error('dashboardHtml: the nonce must be at least 8 base64/hex characters');
  // VS Code's cspSource is a list: `'self' https://*.vscode-cdn.net` (seen in code-server 1.100).
  if (cspSource.split(/\s+/).some((src) => src !== "'self'" && /[;'",]/.test(src))) throw new Error('dashboardHtml: cspSource must be source expressions');
  const mode: DashboardMode = options.mode === 'compact' ? 'compact' : 'panel';
  const title = escapeHtml(options.title ?? 'GradLens');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(dashboardCsp(cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
</head>
<body data-mode="${mode}">
<div id="app" class="app"><p class="loading">Loading GradLens…</p></div>
<script nonce="${escapeHtml(nonce)}" src="${escapeHtml(scriptUri)}"></script>
</body>
</html>
`;
}
