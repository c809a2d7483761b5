// The canonical formatter of .grad files (whitespace and layout only) and the checks that prove it.
export { formatDocument, formatRange, formatText, type FormatOptions, type FormatResult } from './format';
export { formatOnType } from './onType';
export { sameMeaning, stripSpans, syntaxFingerprint, tokenTexts } from './verify';
