// The language features that need no analysis — completion, signature help, definition,
// references, highlights, rename, outline, workspace symbols, semantic tokens, folding, selection
// ranges, formatting — each a thin translation of the core's src/core/ide and src/core/format
// into LSP. They read only the parse (cached per text), so they answer while an analysis runs.
import {
  CompletionItemKind,
  DocumentHighlightKind,
  FoldingRangeKind,
  InsertTextFormat,
  MarkupKind,
  ResponseError,
  type CompletionItem,
  type DocumentHighlight,
  type DocumentSymbol,
  type SelectionRange,
  type ServerCapabilities,
  type SymbolInformation,
  type TextEdit,
} from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { formatOnType, formatRange, formatText } from '../../core';
import { ide } from '../../core';
import type { ServerContext } from '../context';
import { isGradDocument } from '../context';

const COMPLETION_KIND: Record<ide.CompletionKind, CompletionItemKind> = {
  op: CompletionItemKind.Function,
  gate: CompletionItemKind.Class,
  tensor: CompletionItemKind.Variable,
  dim: CompletionItemKind.TypeParameter,
  keyword: CompletionItemKind.Keyword,
  kwarg: CompletionItemKind.Property,
  init: CompletionItemKind.Constructor,
  gradient: CompletionItemKind.Variable,
};

const HIGHLIGHT_KIND: Record<ide.HighlightKind, DocumentHighlightKind> = {
  read: DocumentHighlightKind.Read,
  write: DocumentHighlightKind.Write,
  text: DocumentHighlightKind.Text,
};

/** The capabilities these features add to the server's. */
export const LANGUAGE_CAPABILITIES: ServerCapabilities = {
  completionProvider: { triggerCharacters: ['(', ',', '~', '[', ' ', '='], resolveProvider: false },
  signatureHelpProvider: { triggerCharacters: ['(', ','], retriggerCharacters: [','] },
  definitionProvider: true,
  referencesProvider: true,
  documentHighlightProvider: true,
  renameProvider: { prepareProvider: true },
  documentSymbolProvider: { label: 'GradLens' },
  workspaceSymbolProvider: true,
  semanticTokensProvider: { legend: ide.SEMANTIC_TOKENS_LEGEND, full: true, range: false },
  foldingRangeProvider: true,
  selectionRangeProvider: true,
  documentFormattingProvider: true,
  documentRangeFormattingProvider: true,
  documentOnTypeFormattingProvider: { firstTriggerCharacter: '}' },
};

function toDocumentSymbol(s: ide.DocumentSymbol): DocumentSymbol {
  return { name: s.name, kind: s.lspKind as DocumentSymbol['kind'], detail: s.detail, range: s.range, selectionRange: s.selectionRange, children: s.children.map(toDocumentSymbol) };
}

function toSelectionRange(s: ide.SelectionRange): SelectionRange {
  return s.parent ? { range: s.range, parent: toSelectionRange(s.parent) } : { range: s.range };
}

/** The edit that turns the document's text into `next` (one replacement of the whole text, when it differs). */
function wholeDocumentEdit(doc: TextDocument, next: string): TextEdit[] {
  const text = doc.getText();
  if (next === text) return [];
  return [{ range: { start: { line: 0, character: 0 }, end: doc.positionAt(text.length) }, newText: next }];
}

export function registerLanguageFeatures(ctx: ServerContext): void {
  const { connection, documents } = ctx;
  /** The document and the offset of a position in it, or null for a file the server does not have. */
  const at = (uri: string, position: { line: number; character: number }) => {
    const doc = documents.get(uri);
    return doc ? { doc, text: doc.getText(), offset: doc.offsetAt(position) } : null;
  };

  connection.onCompletion(({ textDocument, position }) => {
    const a = at(textDocument.uri, position);
    if (!a) return [];
    return ide.complete(a.text, a.offset).map(
      (c): CompletionItem => ({
        label: c.label,
        kind: COMPLETION_KIND[c.kind],
        ...(c.detail ? { detail: c.detail } : {}),
        ...(c.documentation ? { documentation: { kind: MarkupKind.Markdown, value: c.documentation } } : {}),
        sortText: c.sortText,
        insertTextFormat: c.snippet ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
        textEdit: { range: c.range, newText: c.insertText },
      }),
    );
  });

  connection.onSignatureHelp(({ textDocument, position }) => {
    const a = at(textDocument.uri, position);
    const h = a ? ide.signatureHelp(a.text, a.offset) : null;
    if (!h) return null;
    return {
      signatures: [
        {
          label: h.label,
          documentation: { kind: MarkupKind.Markdown, value: h.documentation },
          parameters: h.parameters.map((p) => ({ label: p.labelOffsets, documentation: { kind: MarkupKind.Markdown, value: p.documentation } })),
        },
      ],
      activeSignature: 0,
      activeParameter: h.activeParameter,
    };
  });

  connection.onDefinition(({ textDocument, position }) => {
    const a = at(textDocument.uri, position);
    const range = a ? ide.definition(a.text, a.offset) : null;
    return range ? { uri: textDocument.uri, range } : null;
  });

  connection.onReferences(({ textDocument, position, context }) => {
    const a = at(textDocument.uri, position);
    return a ? ide.findReferences(a.text, a.offset, context.includeDeclaration).map((range) => ({ uri: textDocument.uri, range })) : [];
  });

  connection.onDocumentHighlight(({ textDocument, position }) => {
    const a = at(textDocument.uri, position);
    return a ? ide.documentHighlights(a.text, a.offset).map((h): DocumentHighlight => ({ range: h.range, kind: HIGHLIGHT_KIND[h.kind] })) : [];
  });

  connection.onPrepareRename(({ textDocument, position }) => {
    const a = at(textDocument.uri, position);
    if (!a) return null;
    const r = ide.prepareRename(a.text, a.offset);
    // A refusal is an error with the reason: clients show it to the user.
    if ('error' in r) throw new ResponseError(-32803, r.error);
    return r;
  });

  connection.onRenameRequest(({ textDocument, position, newName }) => {
    const a = at(textDocument.uri, position);
    if (!a) return null;
    const r = ide.rename(a.text, a.offset, newName);
    if ('error' in r) throw new ResponseError(-32803, r.error);
    return { documentChanges: [{ textDocument: { uri: a.doc.uri, version: a.doc.version }, edits: r }] };
  });

  connection.onDocumentSymbol(({ textDocument }) => {
    const doc = documents.get(textDocument.uri);
    return doc ? ide.documentSymbols(doc.getText()).map(toDocumentSymbol) : [];
  });

  connection.onWorkspaceSymbol(({ query }) => {
    const files = documents
      .all()
      .filter(isGradDocument)
      .map((d) => ({ uri: d.uri, text: d.getText() }));
    return ide.workspaceSymbols(files, query).map(
      (s): SymbolInformation => ({ name: s.name, kind: s.lspKind as SymbolInformation['kind'], location: { uri: s.uri, range: s.range }, ...(s.containerName ? { containerName: s.containerName } : {}) }),
    );
  });

  connection.languages.semanticTokens.on(({ textDocument }) => {
    const doc = documents.get(textDocument.uri);
    return { data: doc ? ide.semanticTokens(doc.getText()) : [] };
  });

  connection.onFoldingRanges(({ textDocument }) => {
    const doc = documents.get(textDocument.uri);
    if (!doc) return [];
    return ide.foldingRanges(doc.getText()).map((f) => ({ startLine: f.startLine, endLine: f.endLine, ...(f.kind ? { kind: f.kind === 'comment' ? FoldingRangeKind.Comment : FoldingRangeKind.Region } : {}) }));
  });

  connection.onSelectionRanges(({ textDocument, positions }) => {
    const doc = documents.get(textDocument.uri);
    if (!doc) return [];
    return ide.selectionRanges(doc.getText(), positions.map((p) => doc.offsetAt(p))).map(toSelectionRange);
  });

  connection.onDocumentFormatting(({ textDocument }) => {
    const doc = documents.get(textDocument.uri);
    return doc ? wholeDocumentEdit(doc, formatText(doc.getText())) : [];
  });

  connection.onDocumentOnTypeFormatting(({ textDocument, position, ch }) => {
    const doc = documents.get(textDocument.uri);
    return doc ? formatOnType(doc.getText(), doc.offsetAt(position), ch) : [];
  });

  connection.onDocumentRangeFormatting(({ textDocument, range }) => {
    const doc = documents.get(textDocument.uri);
    if (!doc) return [];
    return formatRange(doc.getText(), { start: doc.offsetAt(range.start), end: doc.offsetAt(range.end) });
  });
}
