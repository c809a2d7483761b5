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

export function publishDiagnostics(ctx: ServerContext, r: DocumentAnalysis): void {
  const diagnostics = r.analysis.diagnostics.map((d, index) => toLspDiagnostic(d, r.uri, ctx.docsUri, { version: r.version, index }));
  void ctx.connection.sendDiagnostics({ uri: r.uri, version: r.version, diagnostics });
}
