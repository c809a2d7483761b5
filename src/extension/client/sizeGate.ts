// Files past the core's character cap (CORE_DEFAULTS.maxChars, 16 Mi) are not handed to the
// language server at all: the core would read only up to the cap anyway, and syncing a 30 MB text
// to the worker, with what comes back for it (semantic tokens, lenses, values), blocked the
// extension host's main thread for over a second. The client middleware holds back didOpen,
// didChange, didSave and didClose of such a document; the extension shows the `too-large`
// diagnostic itself. A document that shrinks below the cap is opened on the server then; one that
// grows past it (a paste) is closed there, its analysis' problems going with it.
import * as vscode from 'vscode';
import { DidCloseTextDocumentNotification, DidOpenTextDocumentNotification, type LanguageClient, type Middleware } from 'vscode-languageclient/node';
import { CORE_DEFAULTS, limitText } from '../../core';
import { Disposable } from '../disposable';
import { troubleshootingLink } from '../troubleshooting';

/** The characters of a document (as the server would receive them), without building its text. */
function charsOf(doc: vscode.TextDocument): number {
  return doc.offsetAt(doc.lineAt(doc.lineCount - 1).range.end);
}

export class SizeGate extends Disposable {
  /** Characters of each grad document the client saw open (kept up to date from the changes). */
  private readonly chars = new Map<string, number>();
  /** Documents held back from the server. */
  private readonly held = new Set<string>();
  private readonly diagnostics = this.register(vscode.languages.createDiagnosticCollection('gradlens-size'));
  private client: LanguageClient | undefined;

  constructor(
    /** docs/troubleshooting.md, whose `too-large` section the diagnostic's code links to. */
    private readonly troubleshooting: vscode.Uri,
    private readonly cap: number = CORE_DEFAULTS.maxChars,
  ) {
    super();
  }

  /** The client the late opens and closes go through (created after its middleware). */
  attach(client: LanguageClient): void {
    this.client = client;
  }

  /** Why the server does not have this document, or undefined when it may. */
  refusal(uri: vscode.Uri): string | undefined {
    const key = uri.toString();
    return this.held.has(key) ? this.message(this.chars.get(key) ?? 0) : undefined;
  }

  private message(chars: number): string {
    return (
      `this file has ${limitText(chars)} characters, more than the ${limitText(this.cap)} (16 Mi) GradLens analyses in one file: ` +
      `nothing in it is analysed. Split the file, or shorten it by ${limitText(chars - this.cap)} characters: it is analysed as soon as it is under the limit (a fixed limit, not a setting)`
    );
  }

  private hold(doc: vscode.TextDocument, chars: number): void {
    const key = doc.uri.toString();
    this.held.add(key);
    const line = doc.lineAt(0).range;
    const d = new vscode.Diagnostic(new vscode.Range(line.start, line.end.character > 200 ? line.start.translate(0, 200) : line.end), this.message(chars), vscode.DiagnosticSeverity.Error);
    d.source = 'GradLens';
    const target = this.troubleshooting.with({ fragment: 'too-large' });
    d.code = { value: 'too-large', target: troubleshootingLink(target) ?? target };
    this.diagnostics.set(doc.uri, [d]);
  }

  private release(doc: vscode.TextDocument): void {
    this.held.delete(doc.uri.toString());
    this.diagnostics.delete(doc.uri);
  }

  /** The synchronisation middleware (vscode-languageclient calls `next` to send). */
  readonly middleware: Middleware = {
    didOpen: async (doc, next) => {
      const chars = charsOf(doc);
      this.chars.set(doc.uri.toString(), chars);
      if (chars > this.cap) return this.hold(doc, chars);
      this.release(doc);
      return next(doc);
    },
    didChange: async (event, next) => {
      const doc = event.document;
      const key = doc.uri.toString();
      // The changes' sizes keep the count (exact: their offsets and text are the document's own).
      let chars = this.chars.get(key);
      if (chars === undefined) chars = charsOf(doc);
      else for (const c of event.contentChanges) chars += c.text.length - c.rangeLength;
      this.chars.set(key, chars);
      if (this.held.has(key)) {
        if (chars > this.cap) return this.hold(doc, chars);
        this.release(doc);
        // The server never had it: it opens with the text and version of now.
        return this.client?.sendNotification(DidOpenTextDocumentNotification.type, this.client.code2ProtocolConverter.asOpenTextDocumentParams(doc));
      }
      if (chars <= this.cap) return next(event);
      // Grown past the cap: closed on the server (which clears its problems), held back from now.
      this.hold(doc, chars);
      return this.client?.sendNotification(DidCloseTextDocumentNotification.type, this.client.code2ProtocolConverter.asCloseTextDocumentParams(doc));
    },
    didSave: async (doc, next) => {
      if (!this.held.has(doc.uri.toString())) return next(doc);
    },
    didClose: async (doc, next) => {
      const key = doc.uri.toString();
      const held = this.held.has(key);
      this.chars.delete(key);
      this.release(doc);
      if (!held) return next(doc);
    },
  };
}
