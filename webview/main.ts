// Entry of the dashboard webview bundle (dist/webview.js). Injects the stylesheet under the page's
// nonce (the CSP allows no other inline style), starts the App, and says `ready` to the extension.
import css from './styles.css';
import { App, type Mode } from './app';
import { parseToWebview } from './messages';
import type { UiState } from './state';
import { vscodeApi } from './vscode';

function injectStyles(): void {
  const script = document.currentScript;
  const style = document.createElement('style');
  if (script instanceof HTMLScriptElement && script.nonce) style.nonce = script.nonce;
  style.textContent = css;
  document.head.appendChild(style);
}

function start(): void {
  injectStyles();
  const mode: Mode = document.body.dataset.mode === 'compact' ? 'compact' : 'panel';
  let root = document.getElementById('app');
  if (!root) {
    root = document.createElement('div');
    root.id = 'app';
    document.body.appendChild(root);
  }
  root.classList.add('app', `mode-${mode}`);
  const api = vscodeApi<UiState>();
  const app = new App(root, api, mode);
  window.addEventListener('message', (ev: MessageEvent<unknown>) => {
    const msg = parseToWebview(ev.data);
    if (msg) app.handle(msg);
  });
  api.postMessage({ type: 'ready' });
}

start();
