// The webview's HTML: the bundle from dist/webview with a strict CSP and a fresh nonce.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { dashboardHtml } from '../../shared/dashboardHtml';

export function webviewRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  // Scripts run; only the webview bundle's own folder can be loaded.
  return { enableScripts: true, localResourceRoots: [webviewRoot(extensionUri)] };
}

export function renderHtml(webview: vscode.Webview, extensionUri: vscode.Uri, mode: 'panel' | 'compact'): string {
  const scriptUri = webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot(extensionUri), 'webview.js')).toString();
  return dashboardHtml({ scriptUri, cspSource: webview.cspSource, nonce: randomBytes(16).toString('base64'), mode });
}
