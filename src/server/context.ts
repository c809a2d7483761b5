// What every feature of the language server shares: the connection, the open documents, their
// analyses, the analysis worker and the settings.
import type { Connection } from 'vscode-languageserver';
import type { TextDocuments } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { WorkerClient } from './analysis/workerClient';
import type { DocumentAnalyses } from './documentAnalyses';
import type { GradLensConfig } from './settings';

/** What the client said it can do (LSP client capabilities that change what the server sends). */
export interface ClientSupport {
  codeLensRefresh: boolean;
  inlayHintRefresh: boolean;
  workDoneProgress: boolean;
  configuration: boolean;
  /** Markdown in hovers and completion documentation. */
  markdown: boolean;
}

export interface ServerContext {
  connection: Connection;
  documents: TextDocuments<TextDocument>;
  analyses: DocumentAnalyses;
  worker: WorkerClient;
  settings(): GradLensConfig;
  client: ClientSupport;
  log(line: string): void;
  /** The troubleshooting page a diagnostic code links to (with the code as fragment). */
  docsUri: string;
}

/** The .grad documents the server analyses (other files a client may open are ignored). */
export function isGradDocument(doc: TextDocument): boolean {
  return doc.languageId === 'grad' || doc.uri.endsWith('.grad');
}
