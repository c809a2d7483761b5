// A small LSP client for the tests: starts `gradlens lsp --stdio` (the built bundle, as a user's
// editor would) and speaks JSON-RPC to it with vscode-languageserver-protocol, keeping every
// notification the server sends so tests can wait for them.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createMessageConnection,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type ClientCapabilities,
  type InitializeResult,
  type MessageConnection,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';

export const root = join(__dirname, '..', '..');

export function exampleUri(rel: string): { uri: string; text: string } {
  const file = join(root, 'examples', rel);
  return { uri: pathToFileURL(file).toString(), text: readFileSync(file, 'utf8') };
}

const CAPABILITIES: ClientCapabilities = {
  workspace: { configuration: true, codeLens: { refreshSupport: true }, inlayHint: { refreshSupport: true } },
  textDocument: {
    hover: { contentFormat: ['markdown', 'plaintext'] },
    completion: { completionItem: { snippetSupport: true, documentationFormat: ['markdown'] } },
    rename: { prepareSupport: true },
    documentSymbol: { hierarchicalDocumentSymbolSupport: true },
  },
  window: { workDoneProgress: true },
};

export class TestClient {
  readonly connection: MessageConnection;
  readonly process: ChildProcess;
  readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
  readonly notifications: { method: string; params: unknown }[] = [];
  /** The `gradlens` section the server gets from workspace/configuration. */
  settings: Record<string, unknown> = {};
  private waiters: (() => void)[] = [];
  stderr = '';

  constructor() {
    this.process = spawn(process.execPath, [join(root, 'bin', 'gradlens.js'), 'lsp', '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.process.stderr?.on('data', (b: Buffer) => (this.stderr += b.toString()));
    this.connection = createMessageConnection(new StreamMessageReader(this.process.stdout!), new StreamMessageWriter(this.process.stdin!));
    this.connection.onNotification((method: string, ...args: unknown[]) => {
      const params = args[0];
      this.notifications.push({ method, params });
      if (method === 'textDocument/publishDiagnostics') {
        const p = params as PublishDiagnosticsParams;
        this.diagnostics.set(p.uri, p);
      }
      for (const w of this.waiters.splice(0)) w();
    });
    this.connection.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) => p.items.map(() => this.settings));
    this.connection.onRequest('window/workDoneProgress/create', () => null);
    this.connection.onRequest('client/registerCapability', () => null);
    this.connection.onRequest('workspace/codeLens/refresh', () => null);
    this.connection.onRequest('workspace/inlayHint/refresh', () => null);
    this.connection.listen();
  }

  async initialize(): Promise<InitializeResult> {
    const r = await this.connection.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: pathToFileURL(root).toString(), capabilities: CAPABILITIES, workspaceFolders: null });
    await this.connection.sendNotification(InitializedNotification.type, {});
    return r;
  }

  async open(uri: string, text: string, version = 1): Promise<void> {
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'grad', version, text } });
  }

  async change(uri: string, text: string, version: number): Promise<void> {
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ text }] });
  }

  /** Resolves when `test` holds for what the server has sent (checked after every notification). */
  async until<T>(what: string, test: () => T | undefined | null | false, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = test();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; server stderr: ${this.stderr.slice(-2000)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 100);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /**
   * The server's `gradlens/didAnalyze` for `uri` (at `version`) once its analysis is complete: it
   * publishes the early phases (shapes, then values) before the gradient checks finish.
   */
  finalAnalysisFor(uri: string, version?: number): Promise<DidAnalyze> {
    return this.until(`the complete analysis of ${uri}${version !== undefined ? ` v${version}` : ''}`, () =>
      this.notifications
        .filter((n) => n.method === 'gradlens/didAnalyze')
        .map((n) => n.params as DidAnalyze)
        .find((p) => p.uri === uri && (version === undefined || p.version === version) && !p.phase),
    );
  }

  /** Diagnostics for `uri` at document version `version` (or any, when omitted), once its analysis is complete. */
  async diagnosticsFor(uri: string, version?: number): Promise<PublishDiagnosticsParams> {
    const { version: analysed } = await this.finalAnalysisFor(uri, version);
    // The server sends a final analysis' diagnostics right after its didAnalyze, and not at all when
    // an early phase of the same version already sent the same list. A request answered after
    // them is the barrier: the answer comes after everything sent before it on the same stream.
    await this.connection.sendRequest('textDocument/documentSymbol', { textDocument: { uri } });
    return this.until(`diagnostics of ${uri} v${analysed}`, () => {
      const d = this.diagnostics.get(uri);
      return d && (d.version === undefined || d.version === analysed) ? d : undefined;
    });
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    await this.connection.sendRequest(ShutdownRequest.type).catch(() => undefined);
    await this.connection.sendNotification(ExitNotification.type).catch(() => undefined);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    this.process.kill();
    this.connection.dispose();
  }
}

/** What a test reads of the server's `gradlens/didAnalyze` notification. */
export interface DidAnalyze {
  uri: string;
  version: number;
  phase?: string;
  lineValues: { line: number; text: string }[];
}
