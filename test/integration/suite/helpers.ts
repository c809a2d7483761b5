// Shared helpers for the integration suites: the extension's API, the examples, and polling with
// timeouts that fail with a message saying what was last seen (VS Code updates diagnostics, lenses
// and views asynchronously, so every check waits for its condition instead of sleeping).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'gradlens.gradlens';

/** What `activate()` returns (kept structural so the suite does not import the extension's code). */
export interface GradLensApi {
  service: {
    analyzeNow(document: vscode.TextDocument): Promise<{ version: number; analysis: { diagnostics: { code: string; severity: string }[]; phase?: string; nodes: { name: string; value: number[] | null }[]; root: string | null } }>;
    get(uri: vscode.Uri): { version: number; analysis: unknown } | undefined;
    /** Kills the language server's analysis worker (it is replaced on the next request). */
    killWorker(): Promise<void>;
    landscape(doc: vscode.TextDocument, grid: number, span: number, onProgress: (done: number, total: number) => void): { promise: Promise<unknown>; cancel(): void };
  };
  /** The language server's and the extension host's figures (worker restarts, cancelled runs, loop delay). */
  stats(reset?: boolean): Promise<{ workerRestarts: number; cancelledRuns: number; loopDelayMaxMs: number }>;
  inlineValues: { rendered(uri: vscode.Uri): { version: number; lines: { line: number; text: string }[] } | undefined };
  /** Where the dashboards were last told the debugger is. */
  debugView(): { program: string; phase: string; current: string | null; line: number; grads: string[]; done: string[] } | null;
  /** How questions reach the user; a test replaces `confirm` to answer one itself. */
  prompts: { confirm(message: string, ...actions: string[]): Thenable<string | undefined> };
}

/** The extension, activated; fails if it is not installed or activation throws. */
export async function activateExtension(): Promise<GradLensApi> {
  const ext = vscode.extensions.getExtension<GradLensApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not installed in this VS Code`);
  const api = ext.isActive ? ext.exports : await ext.activate();
  assert.ok(api?.service, 'activate() did not return the { service } API');
  return api;
}

/** The folder the tests opened (a copy of examples/). */
export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the tests need a workspace folder: open a copy of examples/');
  return folder.uri;
}

export function exampleUri(relativePath: string): vscode.Uri {
  return vscode.Uri.joinPath(workspaceRoot(), ...relativePath.split('/'));
}

/** Opens an example in an editor (its language must come out as `grad`). */
export async function openExample(relativePath: string): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(exampleUri(relativePath));
  assert.equal(doc.languageId, 'grad', `${relativePath} opened as ${doc.languageId}, not grad`);
  return vscode.window.showTextDocument(doc, { preview: false });
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls `probe` until `done(value)` holds; returns that value. On timeout, fails with `what` and
 * the last value seen (described by `describe`), so a failure says what the editor really had.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | PromiseLike<T>,
  done: (value: T) => boolean,
  { timeoutMs = 20_000, intervalMs = 100 }: WaitOptions = {},
  describe: (value: T) => string = (v) => JSON.stringify(v),
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      lastError = undefined;
      if (done(last)) return last;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const seen = lastError !== undefined ? `error: ${String(lastError)}` : last === undefined ? 'nothing' : describe(last);
      assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${seen}`);
    }
    await sleep(intervalMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function describeDiagnostics(list: readonly vscode.Diagnostic[]): string {
  if (list.length === 0) return 'no diagnostics';
  return list.map((d) => `${vscode.DiagnosticSeverity[d.severity]} ${codeOf(d) ?? '?'} at line ${d.range.start.line}: ${d.message}`).join('; ');
}

export function codeOf(d: vscode.Diagnostic): string | undefined {
  const c = d.code;
  if (c === undefined) return undefined;
  return typeof c === 'object' ? String(c.value) : String(c);
}

/** Waits until the diagnostics of `uri` satisfy `done`; returns them. */
export function waitForDiagnostics(uri: vscode.Uri, what: string, done: (list: readonly vscode.Diagnostic[]) => boolean, options?: WaitOptions): Promise<readonly vscode.Diagnostic[]> {
  return waitFor(`${what} in ${uri.path.split('/').slice(-2).join('/')}`, () => vscode.languages.getDiagnostics(uri), done, options, describeDiagnostics);
}

export const hasCodeOnLine = (code: string, line: number) => (list: readonly vscode.Diagnostic[]) => list.some((d) => codeOf(d) === code && d.range.start.line === line);

/** GradLens's own diagnostics (another extension could add some). */
export const gradlensOnly = (list: readonly vscode.Diagnostic[]) => list.filter((d) => d.source === 'GradLens');

/** Closes every editor, so one test's editors do not leak into the next. */
export async function closeAllEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

/** Reverts unsaved edits (tests never save) and closes every editor: the teardown of each test. */
export async function resetEditors(): Promise<void> {
  // Every open document, not only the visible ones: a dirty file left behind would be saved by the
  // "save changes?" answer when its editor is closed, and change the examples for later tests.
  for (const document of vscode.workspace.textDocuments) {
    if (document.isDirty && document.uri.scheme === 'file') {
      await vscode.window.showTextDocument(document);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
  }
  await closeAllEditors();
}
