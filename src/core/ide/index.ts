// Language intelligence for editors, free of any editor protocol: plain data with offsets in and
// 0-based line/character ranges out (src/core/text.ts). A language server converts positions with
// `offsetAt` and wraps the results in its protocol's types. Every function parses (through a small
// per-text cache) and never runs the engine.
import type { Position } from '../text';
import { ideDocument } from './document';

export { complete, type CompletionItem, type CompletionKind } from './completion';
export { signatureHelp, type SignatureHelp } from './signatureHelp';
export { opMarkdown, opUsage, type SignatureInfo, type SignatureParameter } from './signatures';
export { definition, documentHighlights, findReferences, symbolAt, type DocumentHighlight, type HighlightKind, type SymbolAtResult } from './references';
export { prepareRename, rename, type PrepareRenameResult } from './rename';
export { documentSymbols, LSP_SYMBOL_KIND, workspaceSymbols, type DocumentSymbol, type OutlineKind, type WorkspaceSymbol } from './symbols';
export { decodeSemanticTokens, SEMANTIC_TOKEN_MODIFIERS, SEMANTIC_TOKEN_TYPES, SEMANTIC_TOKENS_LEGEND, semanticTokens, type SemanticToken } from './semanticTokens';
export { foldingRanges, type FoldingRange } from './folding';
export { selectionRanges, type SelectionRange } from './selectionRanges';
export type { SymbolKind } from './binder';

/** The offset of an editor position in `text` (the inverse of the ranges the functions return). */
export function offsetAt(text: string, position: Position): number {
  return ideDocument(text).lineMap.offset(position);
}
