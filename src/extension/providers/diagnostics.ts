// Publishes the core's diagnostics in the Problems panel, with codes that link to the
// troubleshooting page and related locations (e.g. the call a gate check ran at).
import * as vscode from 'vscode';
import type { Diagnostic, Fix } from '../../core/diagnostics';
import type { AnalysisService, DocumentAnalysis } from '../analysisService';
import { toRange } from '../convert';

const SEVERITY: Record<Diagnostic['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

/** The fixes of a published diagnostic, for the code action provider. */
export interface PublishedFix {
  diagnostic: vscode.Diagnostic;
  fixes: Fix[];
}

export class DiagnosticsPublisher implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('gradlens');
  private readonly fixes = new Map<string, PublishedFix[]>();
  private readonly sub: vscode.Disposable;

  constructor(
    service: AnalysisService,
    private readonly docsUri: vscode.Uri,
  ) {
    this.sub = service.onDidAnalyze((r) => this.publish(r));
  }

  private publish(r: DocumentAnalysis): void {
    const published: PublishedFix[] = [];
    const list = r.analysis.diagnostics.map((d) => {
      const v = new vscode.Diagnostic(toRange(d.range), d.message, SEVERITY[d.severity]);
      v.source = 'GradLens';
      v.code = { value: d.code, target: this.docsUri.with({ fragment: d.code }) };
      if (d.related?.length) v.relatedInformation = d.related.map((x) => new vscode.DiagnosticRelatedInformation(new vscode.Location(r.uri, toRange(x.range)), x.message));
      if (d.code === 'unused') v.tags = [vscode.DiagnosticTag.Unnecessary];
      if (d.fixes?.length) published.push({ diagnostic: v, fixes: d.fixes });
      return v;
    });
    this.collection.set(r.uri, list);
    this.fixes.set(r.uri.toString(), published);
  }

  fixesFor(uri: vscode.Uri): PublishedFix[] {
    return this.fixes.get(uri.toString()) ?? [];
  }

  clear(uri: vscode.Uri): void {
    this.collection.delete(uri);
    this.fixes.delete(uri.toString());
  }

  dispose(): void {
    this.sub.dispose();
    this.collection.dispose();
  }
}
