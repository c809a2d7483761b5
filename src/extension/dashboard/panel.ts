// The dashboard panel: one per window, beside the editor, restored after a reload by a
// serializer (the webview keeps its own view state with getState/setState).
import * as vscode from 'vscode';
import type { AnalysisClient } from '../client/analysisClient';
import { LANGUAGE_ID } from '../client/startClient';
import { restoredGradUri } from '../../shared/webviewProtocol';
import { Disposable } from '../disposable';
import { WebviewController } from './controller';
import { renderHtml, webviewOptions } from './html';

export const DASHBOARD_VIEW_TYPE = 'gradlens.dashboard';

interface SavedState {
  uri?: string;
}

export class DashboardPanel extends Disposable {
  private static current: DashboardPanel | undefined;
  readonly controller: WebviewController;

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    service: AnalysisClient,
    log: vscode.OutputChannel,
    uri: vscode.Uri | undefined,
  ) {
    super();
    panel.webview.options = webviewOptions(extensionUri);
    panel.webview.html = renderHtml(panel.webview, extensionUri, 'panel');
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.png');
    this.controller = this.register(new WebviewController(panel.webview, service, log, uri));
    this.register(panel.onDidDispose(() => this.dispose()));
    this.register(panel);
  }

  static get active(): DashboardPanel | undefined {
    return DashboardPanel.current;
  }

  /** Opens (or reveals) the dashboard for a file. */
  static show(extensionUri: vscode.Uri, service: AnalysisClient, log: vscode.OutputChannel, uri?: vscode.Uri): DashboardPanel {
    const target = uri ?? activeGradUri();
    const existing = DashboardPanel.current;
    if (existing) {
      existing.panel.reveal(vscode.ViewColumn.Beside, true);
      if (target) existing.controller.show(target);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, 'GradLens Dashboard', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { ...webviewOptions(extensionUri), retainContextWhenHidden: true });
    DashboardPanel.current = new DashboardPanel(panel, extensionUri, service, log, target);
    return DashboardPanel.current;
  }

  /** Restores a panel after a reload. */
  static registerSerializer(extensionUri: vscode.Uri, service: AnalysisClient, log: vscode.OutputChannel): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: SavedState | undefined) => {
        // Only a .grad document from the saved state; anything else follows the active editor.
        const saved = restoredGradUri(state);
        const uri = saved ? vscode.Uri.parse(saved) : activeGradUri();
        DashboardPanel.current?.dispose();
        DashboardPanel.current = new DashboardPanel(panel, extensionUri, service, log, uri);
      },
    });
  }

  override dispose(): void {
    if (DashboardPanel.current === this) DashboardPanel.current = undefined;
    super.dispose();
  }
}

function activeGradUri(): vscode.Uri | undefined {
  const d = vscode.window.activeTextEditor?.document;
  if (d?.languageId === LANGUAGE_ID) return d.uri;
  return vscode.workspace.textDocuments.find((x) => x.languageId === LANGUAGE_ID)?.uri;
}
