// The compact dashboard in the GradLens sidebar: the headline charts of the active file.
import * as vscode from 'vscode';
import type { AnalysisClient } from '../client/analysisClient';
import { LANGUAGE_ID } from '../client/startClient';
import { Disposable } from '../disposable';
import { WebviewController } from './controller';
import { renderHtml, webviewOptions } from './html';

export const SIDEBAR_VIEW_ID = 'gradlens.dashboardView';

export class SidebarDashboard extends Disposable implements vscode.WebviewViewProvider {
  private controller: WebviewController | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly service: AnalysisClient,
    private readonly log: vscode.OutputChannel,
  ) {
    super();
    this.register({ dispose: () => this.controller?.dispose() });
  }

  /** The file the sidebar dashboard shows, if it is open. */
  get shownUri(): vscode.Uri | undefined {
    return this.controller?.shownUri;
  }

  /** The view's controller, once VS Code has shown the view. */
  get current(): WebviewController | undefined {
    return this.controller;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    view.webview.options = webviewOptions(this.extensionUri);
    view.webview.html = renderHtml(view.webview, this.extensionUri, 'compact');
    const d = vscode.window.activeTextEditor?.document;
    this.controller?.dispose();
    this.controller = new WebviewController(view.webview, this.service, this.log, d?.languageId === LANGUAGE_ID ? d.uri : undefined);
    view.onDidDispose(() => {
      this.controller?.dispose();
      this.controller = undefined;
    });
  }
}
