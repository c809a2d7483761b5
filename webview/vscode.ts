// The VS Code webview API, typed. acquireVsCodeApi may be called once per page.
import type { FromWebview } from '../src/shared/webviewProtocol';

export interface WebviewApi<S> {
  postMessage(message: FromWebview): void;
  getState(): S | undefined;
  setState(state: S): void;
}

declare function acquireVsCodeApi<S>(): WebviewApi<S>;

export function vscodeApi<S>(): WebviewApi<S> {
  if (typeof acquireVsCodeApi === 'function') return acquireVsCodeApi<S>();
  // Opened outside VS Code (a plain browser): keep working, post nowhere.
  let state: S | undefined;
  return {
    postMessage: () => undefined,
    getState: () => state,
    setState: (s) => {
      state = s;
    },
  };
}
