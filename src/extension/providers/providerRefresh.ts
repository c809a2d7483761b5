// When a provider (code lenses, inlay hints) should tell VS Code that its results changed.
// VS Code asks again by itself after every edit, once its own debounce has passed, and firing the
// change event restarts that debounce: firing for an analysis VS Code is about to ask for anyway
// only delays what the user sees (by the analysis time, ~75–90 ms with the default settings). So it
// fires only for results VS Code has no reason of its own to ask for: a rerun of text it already has
// (settings, Re-seed, Set Dimension Sizes, a restarted worker), or a result that arrived after the
// request that wanted it stopped waiting.
import * as vscode from 'vscode';
import type { AnalysisService, DocumentAnalysis } from '../analysisService';

interface Asked {
  /** Document version at VS Code's latest request. */
  version: number;
  /** Requests still waiting for their analysis (they will get the next result themselves). */
  pending: number;
  /** What the latest finished request returned. */
  served?: DocumentAnalysis;
}

export class ProviderRefresh implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private readonly asked = new Map<string, Asked>();
  private readonly disposables: vscode.Disposable[];

  constructor(service: AnalysisService) {
    this.disposables = [
      this.emitter,
      service.onDidAnalyze((r) => this.onAnalysis(r)),
      vscode.workspace.onDidCloseTextDocument((d) => this.asked.delete(d.uri.toString())),
    ];
  }

  /** Wraps a provider's request: `get` returns the analysis the request answers from. */
  async serve(doc: vscode.TextDocument, get: () => Promise<DocumentAnalysis | undefined>): Promise<DocumentAnalysis | undefined> {
    const key = doc.uri.toString();
    const a = this.asked.get(key) ?? { version: doc.version, pending: 0 };
    this.asked.set(key, a);
    a.version = doc.version;
    a.pending++;
    try {
      const r = await get();
      a.served = r;
      return r;
    } finally {
      a.pending--;
    }
  }

  /** For changes that are not analyses (a setting of the provider itself). */
  fire(): void {
    this.emitter.fire();
  }

  private onAnalysis(r: DocumentAnalysis): void {
    const a = this.asked.get(r.uri.toString());
    // Never asked (no editor showed it yet): VS Code asks when one does; firing costs nothing.
    if (!a) return this.emitter.fire();
    if (a.pending > 0) return; // a waiting request gets this result
    if (r.version > a.version) return; // newer text than VS Code has asked for: its edit scheduled a request
    if (a.served === r) return;
    this.emitter.fire();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
