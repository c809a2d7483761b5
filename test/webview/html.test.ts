// dashboardHtml: the page the extension serves (pure, no browser needed).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dashboardCsp, dashboardHtml } from '../../src/shared/dashboardHtml';

const base = { scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.js', cspSource: 'https://*.vscode-cdn.net', nonce: 'AbCdEf0123456789+/==', mode: 'panel' as const };

describe('dashboardHtml', () => {
  it('carries the strict CSP with the nonce and the webview source only', () => {
    const html = dashboardHtml(base);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1];
    assert.equal(csp, "default-src 'none'; img-src https://*.vscode-cdn.net data:; style-src https://*.vscode-cdn.net 'nonce-AbCdEf0123456789+/=='; script-src 'nonce-AbCdEf0123456789+/=='; font-src https://*.vscode-cdn.net".replace(/'/g, '&#39;'));
    assert.equal(dashboardCsp(base.cspSource, base.nonce).includes("'unsafe-inline'"), false);
    assert.match(html, /<script nonce="AbCdEf0123456789\+\/==" src="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/ext\/dist\/webview\.js"><\/script>/);
    assert.equal((html.match(/<script/g) ?? []).length, 1, 'one script, the bundle');
    assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i, 'no inline styles or handlers');
  });

  it("accepts VS Code's real webview.cspSource ('self' plus the CDN host) and keeps both in the policy", () => {
    const real = "'self' https://*.vscode-cdn.net";
    const csp = dashboardCsp(real, base.nonce);
    assert.match(csp, /img-src 'self' https:\/\/\*\.vscode-cdn\.net data:/);
    assert.match(csp, /script-src 'nonce-/);
    assert.doesNotMatch(csp, /script-src[^;]*'self'/, 'scripts still need the nonce');
    assert.doesNotThrow(() => dashboardHtml({ ...base, cspSource: real }));
  });

  it('writes the mode on <body> (compact for the sidebar) and nothing else', () => {
    assert.match(dashboardHtml({ ...base, mode: 'compact' }), /<body data-mode="compact">/);
    assert.match(dashboardHtml(base), /<body data-mode="panel">/);
    assert.match(dashboardHtml({ ...base, mode: 'evil" onload="x' as 'panel' }), /<body data-mode="panel">/);
  });

  it('escapes the script URI and title, and refuses a nonce or source that could widen the policy', () => {
    const html = dashboardHtml({ ...base, scriptUri: 'https://x/a"><script>alert(1)</script>', title: '<b>t</b>' });
    assert.doesNotMatch(html, /<script>alert/);
    assert.match(html, /<title>&lt;b&gt;t&lt;\/b&gt;<\/title>/);
    assert.throws(() => dashboardHtml({ ...base, nonce: "abc' 'unsafe-inline" }), /nonce/);
    assert.throws(() => dashboardHtml({ ...base, nonce: 'short' }), /nonce/);
    assert.throws(() => dashboardHtml({ ...base, cspSource: "https://x; script-src 'unsafe-eval'" }), /cspSource/);
  });
});
