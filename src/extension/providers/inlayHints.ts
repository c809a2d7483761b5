// Inlay hints: the inferred shape after every name that was not given one.
import * as vscode from 'vscode';
import type { AnalysisService } from '../analysisService';
import { readConfig } from '../config';
import { toRange } from '../convert';
import { shapeText, sizesText } from '../format';
import { ProviderRefresh } from './providerRefresh';

export class InlayHintsProvider implements vscode.InlayHintsProvider, vscode.Disposable {
  private readonly refresh: ProviderRefresh;
  readonly onDidChangeInlayHints: vscode.Event<void>;
  private readonly configListener: vscode.Disposable;

  constructor(private readonly service: AnalysisService) {
    this.refresh = new ProviderRefresh(service);
    this.onDidChangeInlayHints = this.refresh.onDidChange;
    this.configListener = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('gradlens.inlayHints')) this.refresh.fire();
    });
  }

  dispose(): void {
    this.refresh.dispose();
    this.configListener.dispose();
  }

  async provideInlayHints(doc: vscode.TextDocument, range: vscode.Range): Promise<vscode.InlayHint[]> {
    if (!readConfig().inlayHints) return [];
    const r = await this.refresh.serve(doc, () => this.service.whenCurrent(doc, 1000));
    if (!r) return [];
    const hints: vscode.InlayHint[] = [];
    const add = (at: vscode.Position, dims: string[], shape: number[] | null) => {
      // Scalars are the common case in small circuits; their lenses say enough.
      if (!range.contains(at) || dims.length === 0) return;
      const h = new vscode.InlayHint(at, `: ${shapeText(dims)}`, vscode.InlayHintKind.Type);
      h.paddingLeft = false;
      if (shape) h.tooltip = `${sizesText(shape)}`;
      hints.push(h);
    };
    for (const n of r.analysis.nodes) if (!n.shapeWritten) add(toRange(n.range).end, n.dims, n.shape);
    for (const g of r.analysis.gates) for (const l of g.locals) if (!l.shapeWritten) add(toRange(l.range).end, l.dims, l.shape);
    return hints;
  }
}
