// The summary line above the dashboard (file, root value, checks, problems) and the list of errors
// with what to do about them; each problem reveals its line when clicked.
import type { Analysis } from '../../src/core/browser';
import type { Diagnostic } from '../../src/core/browser';
import type { FromWebview } from '../../src/shared/webviewProtocol';
import { h, on, replace, show } from '../dom';
import { formatNumber } from '../../src/core/browser';

export function fileName(uri: string): string {
  const path = uri.split(/[?#]/)[0];
  const base = path.slice(path.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(base) || uri;
  } catch {
    return base || uri;
  }
}

export function rootValue(a: Analysis): number | null {
  if (a.root === null) return null;
  const n = a.nodes.find((x) => x.name === a.root);
  return n?.value && n.value.length === 1 ? n.value[0] : null;
}

export function checkSummary(a: Analysis): { text: string; status: 'ok' | 'warning' | 'error' | 'none' } {
  const checks = a.gradchecks;
  if (checks.length === 0) return { text: 'no gradient checks', status: 'none' };
  const failing = checks.filter((c) => c.verdict === 'fail').length;
  const warn = checks.filter((c) => c.verdict === 'warn').length;
  if (failing) return { text: `${failing} of ${checks.length} gradient checks failed`, status: 'error' };
  if (warn) return { text: `${warn} of ${checks.length} gradient checks suspicious`, status: 'warning' };
  return { text: `${checks.length} gradient checks passed`, status: 'ok' };
}

export class Header {
  readonly el: HTMLElement;
  readonly problems: HTMLElement;
  private readonly file: HTMLElement;
  private readonly root: HTMLElement;
  private readonly checks: HTMLElement;
  private readonly diags: HTMLElement;

  constructor(private readonly post: (m: FromWebview) => void) {
    this.file = h('span', { class: 'hdr-file' });
    this.root = h('span', { class: 'hdr-root' });
    this.checks = h('span', { class: 'hdr-checks' });
    this.diags = h('span', { class: 'hdr-diags' });
    this.el = h('header', { class: 'header' }, this.file, this.root, this.checks, this.diags);
    this.problems = h('div', { class: 'problems', role: 'region', 'aria-label': 'Errors', hidden: true });
  }

  update(a: Analysis, uri: string, version: number): void {
    this.file.textContent = fileName(uri);
    this.file.title = `${uri} (version ${version})`;
    const v = rootValue(a);
    replace(this.root, a.root === null ? h('span', { class: 'muted' }, 'no backward root') : h('span', {}, h('span', { class: 'muted' }, `${a.root} = `), h('strong', { class: 'num' }, formatNumber(v))));
    const cs = checkSummary(a);
    this.checks.textContent = cs.text;
    this.checks.className = `hdr-checks status-${cs.status}`;
    const errors = a.diagnostics.filter((d) => d.severity === 'error');
    const warnings = a.diagnostics.filter((d) => d.severity === 'warning');
    this.diags.textContent = `${errors.length} error${errors.length === 1 ? '' : 's'} · ${warnings.length} warning${warnings.length === 1 ? '' : 's'}`;
    this.diags.className = `hdr-diags ${errors.length ? 'status-error' : warnings.length ? 'status-warning' : 'muted'}`;
    this.renderProblems(errors);
  }

  private renderProblems(errors: Diagnostic[]): void {
    show(this.problems, errors.length > 0);
    if (errors.length === 0) return;
    const shown = errors.slice(0, 5);
    const items = shown.map((d) => {
      const b = h('button', { type: 'button', class: 'problem-link', title: 'Reveal in the editor' }, h('span', { class: 'problem-line' }, `line ${d.range.start.line + 1}`), ' ', d.message);
      on(b, 'click', () => this.post({ type: 'reveal', range: d.range }));
      return h('li', {}, b);
    });
    replace(
      this.problems,
      h('p', { class: 'problems-title' }, `${errors.length} error${errors.length === 1 ? '' : 's'} in this file. Click one to go to its line; the dashboard updates as you fix them.`),
      h('ul', {}, ...items),
      errors.length > shown.length ? h('p', { class: 'muted' }, `…and ${errors.length - shown.length} more in the Problems panel.`) : null,
    );
  }
}
