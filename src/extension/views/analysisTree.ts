// What the sidebar's trees share: they show the analysis of the active .grad editor and redraw
// when it changes.
import * as vscode from 'vscode';
import type { AnalysisClient, DocumentAnalysis } from '../client/analysisClient';
import { Disposable } from '../disposable';

export abstract class AnalysisTree<T> extends Disposable implements vscode.TreeDataProvider<T> {
  private readonly changed = this.register(new vscode.EventEmitter<T | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  protected current: DocumentAnalysis | undefined;

  constructor(analyses: AnalysisClient) {
    super();
    this.register(
      analyses.onDidAnalyze((r) => {
        if (vscode.window.activeTextEditor?.document.uri.toString() === r.uri.toString()) this.show(r);
      }),
    );
  }

  show(r: DocumentAnalysis | undefined): void {
    this.current = r;
    this.changed.fire(undefined);
  }

  abstract getChildren(item?: T): T[];
  abstract getTreeItem(item: T): vscode.TreeItem;
}
