// The compact dashboard in the GradLens sidebar: the headline charts of the active file.
import * as vscode from 'vscode';
import type { AnalysisClient } from '../client/analysisClient';
import { Disposable } from '../disposable';
import type { GradEditors } from '../gradEditors';
import { WebviewController } from './controller';
import { renderHtml, webviewOptions } from './html';

export const SIDEBAR_VIEW_ID = 'gradlens.dashboardView';

export class SidebarDashboard extends Disposable implements vscode.WebviewViewProvider {
  private controller: WebviewController | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly service: AnalysisClient,
    private readonly log: vscode.OutputChannel,
    private readonly gradEditors: GradEditors,
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
    this.controller?.dispose();
    // Not the focused editor: when the view is shown while focus is in the dashboard panel there
    // is none, and the view would say "Open a .grad file" beside a dashboard showing one.
    this.controller = new WebviewController(view.webview, this.service, this.log, this.gradEditors.current);
    view.onDidDispose(() => {
      this.controller?.dispose();
      this.controller = undefined;
    });
  }
}
