import type { Span } from '../text';

export type TokenKind =
  | 'ident'
  | 'keyword'
  | 'number'
  | 'op' // + - * / ** @ > < >= <= ==  ~=
  | 'punct' // ( ) [ ] { } , : = ~ . .. ->
  | 'newline'
  | 'eof';

export interface Token {
  kind: TokenKind;
  text: string;
  span: Span;
  /** Numeric value for number tokens. */
  value?: number;
}

export const KEYWORDS = new Set([
  'dims',
  'input',
  'param',
  'const',
  'gate',
  'backward',
  'seed',
  'int',
  'in',
  'expect',
  'true',
  'false',
]);

/** Tokens after which a line break does not end the statement (spec section 1). */
export const CONTINUATION_TEXTS = new Set([
  '(',
  '[',
  '{',
  ',',
  '+',
  '-',
  '*',
  '/',
  '**',
  '@',
  '=',
  '~',
  '->',
  '>',
  '<',
  '>=',
  '<=',
  '==',
  '~=',
  ':',
]);
