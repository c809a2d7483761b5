// Publishes the core's diagnostics with LSP: severities, codes linked to the troubleshooting page,
// related locations (the call a gate check ran at), `unused` faded, and the fixes as data, so a
// code action request can turn them into edits.
import { DiagnosticSeverity, DiagnosticTag, type Diagnostic as LspDiagnostic } from 'vscode-languageserver';
import type { Diagnostic } from '../../core';
import type { ServerContext } from '../context';
import type { DocumentAnalysis } from '../documentAnalyses';

const SEVERITY: Record<Diagnostic['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** What a published diagnostic carries in `data`: the document version it was computed for. */
export interface DiagnosticData {
  version: number;
  /** Index into the Analysis' diagnostics (to find its fixes). */
  index: number;
}

export function toLspDiagnostic(d: Diagnostic, uri: string, docsUri: string, data: DiagnosticData): LspDiagnostic {
  const out: LspDiagnostic = {
    range: d.range,
    severity: SEVERITY[d.severity],
    code: d.code,
    codeDescription: { href: `${docsUri}#${d.code}` },
    source: 'GradLens',
    message: d.message,
    data,
  };
  if (d.related?.length) out.relatedInformation = d.related.map((x) => ({ location: { uri, range: x.range }, message: x.message }));
  if (d.code === 'unused') out.tags = [DiagnosticTag.Unnecessary];
  return out;
}

/**
 * Publishes an analysis' diagnostics. The phases of one text (shapes, values, the finished
 * analysis) mostly have the same ones: a list the client already holds for this very version is
 * not sent again (in VS Code each one is converted and forwarded to the window on the extension
 * host's main thread, at every keystroke). `published` holds what was last sent per document; the
 * caller forgets a document when it closes (its problems are cleared then).
 */
export function publishDiagnostics(ctx: ServerContext, r: DocumentAnalysis, published?: Map<string, { version: number; key: string }>): void {
  const diagnostics = r.analysis.diagnostics.map((d, index) => toLspDiagnostic(d, r.uri, ctx.docsUri, { version: r.version, index }));
  if (published) {
    const key = JSON.stringify(diagnostics);
    const last = published.get(r.uri);
    if (last && last.version === r.version && last.key === key) return;
    published.set(r.uri, { version: r.version, key });
  }
  void ctx.connection.sendDiagnostics({ uri: r.uri, version: r.version, diagnostics });
}
