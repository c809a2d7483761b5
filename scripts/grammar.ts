// Generates the TextMate grammar (syntaxes/grad.tmLanguage.json). The list of built-in function
// names comes from the op table, so highlighting cannot drift from the language.
import { FUNCTIONS } from '../src/core/ops/registry';
import { RANDOM_INITS } from '../src/core/engine/init';

const NAME = '[A-Za-z_][A-Za-z0-9_]*';

export function grammar(): unknown {
  const builtins = [...FUNCTIONS.keys()].sort((a, b) => b.length - a.length || a.localeCompare(b));
  const inits = Object.keys(RANDOM_INITS).join('|');
  return {
    $schema: 'https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json',
    name: 'Grad',
    scopeName: 'source.grad',
    patterns: [
      { include: '#comment' },
      { include: '#gate' },
      { include: '#declaration' },
      { include: '#dims' },
      { include: '#seed' },
      { include: '#expect' },
      { include: '#assignment' },
      { include: '#expression' },
    ],
    repository: {
      comment: { match: '#.*$', name: 'comment.line.number-sign.grad' },
      seed: { match: '^\\s*(seed)\\b', captures: { 1: { name: 'keyword.other.seed.grad' } } },
      dims: {
        begin: '^\\s*(dims)\\b',
        beginCaptures: { 1: { name: 'keyword.other.dims.grad' } },
        end: '$',
        patterns: [
          { include: '#comment' },
          { match: `\\b(${NAME})\\s*(=)`, captures: { 1: { name: 'entity.name.type.dimension.grad' }, 2: { name: 'keyword.operator.assignment.grad' } } },
          { include: '#number' },
        ],
      },
      declaration: {
        begin: `^\\s*(input|param|const)\\s+(${NAME})`,
        beginCaptures: { 1: { name: 'storage.type.declaration.grad' }, 2: { name: 'variable.other.declaration.grad' } },
        end: '$',
        patterns: [
          { include: '#comment' },
          { include: '#type' },
          {
            match: `\\b(in)\\s+(${NAME}|\\d+)\\s*(\\.\\.)\\s*(${NAME}|\\d+)`,
            captures: {
              1: { name: 'keyword.other.in.grad' },
              2: { name: 'entity.name.type.dimension.grad' },
              3: { name: 'keyword.operator.range.grad' },
              4: { name: 'entity.name.type.dimension.grad' },
            },
          },
          { match: `(~)\\s*(${inits})\\b`, captures: { 1: { name: 'keyword.operator.init.grad' }, 2: { name: 'support.function.init.grad' } } },
          { include: '#expression' },
        ],
      },
      type: {
        patterns: [
          { match: '\\bint\\b', name: 'storage.type.int.grad' },
          {
            begin: '(?<=:|int|:\\s)\\s*(\\[)',
            beginCaptures: { 1: { name: 'punctuation.definition.shape.begin.grad' } },
            end: '\\]',
            endCaptures: { 0: { name: 'punctuation.definition.shape.end.grad' } },
            patterns: [{ match: `\\b${NAME}\\b`, name: 'entity.name.type.dimension.grad' }, { include: '#number' }],
          },
        ],
      },
      expect: {
        begin: '^\\s*(expect)\\s+(shape|value|grad)\\b',
        beginCaptures: { 1: { name: 'keyword.other.expect.grad' }, 2: { name: 'keyword.other.expect-kind.grad' } },
        end: '$',
        patterns: [{ include: '#comment' }, { match: '==|~=', name: 'keyword.operator.comparison.grad' }, { include: '#type' }, { include: '#expression' }],
      },
      gate: {
        begin: `^\\s*(gate)\\s+(${NAME})`,
        beginCaptures: { 1: { name: 'keyword.other.gate.grad' }, 2: { name: 'entity.name.function.gate.grad' } },
        end: '^\\s*(\\})\\s*$',
        endCaptures: { 1: { name: 'punctuation.section.gate.end.grad' } },
        patterns: [
          { include: '#comment' },
          {
            // The parameter list right after the gate's name (\\G: where the name ended).
            begin: '\\G\\s*(\\()',
            beginCaptures: { 1: { name: 'punctuation.definition.parameters.begin.grad' } },
            end: '\\)',
            endCaptures: { 0: { name: 'punctuation.definition.parameters.end.grad' } },
            patterns: [{ match: `\\b(${NAME})\\s*(:)`, captures: { 1: { name: 'variable.parameter.grad' }, 2: { name: 'punctuation.separator.type.grad' } } }, { include: '#type' }],
          },
          {
            match: `(->)\\s*(${NAME})\\s*(:)`,
            captures: { 1: { name: 'keyword.operator.arrow.grad' }, 2: { name: 'variable.parameter.output.grad' }, 3: { name: 'punctuation.separator.type.grad' } },
          },
          { include: '#type' },
          { include: '#backward' },
          { include: '#assignment' },
          { include: '#expression' },
        ],
      },
      backward: {
        begin: '\\b(backward)\\s*(\\{)',
        beginCaptures: { 1: { name: 'keyword.other.backward.grad' }, 2: { name: 'punctuation.section.backward.begin.grad' } },
        end: '\\}',
        endCaptures: { 0: { name: 'punctuation.section.backward.end.grad' } },
        name: 'meta.block.backward.grad',
        patterns: [{ include: '#comment' }, { include: '#assignment' }, { include: '#expression' }],
      },
      assignment: {
        match: `^\\s*(?:(d${NAME})|(${NAME}))\\s*(=)(?!=)`,
        captures: { 1: { name: 'variable.other.gradient.grad' }, 2: { name: 'variable.other.definition.grad' }, 3: { name: 'keyword.operator.assignment.grad' } },
      },
      number: { match: '(?<![A-Za-z_0-9.])(?:\\d+(?:\\.(?!\\.)\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?', name: 'constant.numeric.grad' },
      expression: {
        patterns: [
          { include: '#comment' },
          { match: '\\b(true|false)\\b', name: 'constant.language.boolean.grad' },
          { match: `\\b(${builtins.join('|')})(?=\\s*\\()`, name: 'support.function.builtin.grad' },
          { match: `\\b(${NAME})(?=\\s*\\()`, name: 'entity.name.function.call.grad' },
          { match: `\\b(${NAME})\\s*(=)(?!=)`, captures: { 1: { name: 'variable.parameter.keyword.grad' }, 2: { name: 'keyword.operator.assignment.grad' } } },
          { match: '\\.T\\b', name: 'keyword.operator.transpose.grad' },
          { match: '\\bd[A-Za-z_][A-Za-z0-9_]*\\b', name: 'variable.other.gradient.grad' },
          { include: '#number' },
          { match: '\\*\\*|@|[-+*/]', name: 'keyword.operator.arithmetic.grad' },
          { match: '>=|<=|==|>|<', name: 'keyword.operator.comparison.grad' },
          { match: `\\b${NAME}\\b`, name: 'variable.other.grad' },
        ],
      },
    },
  };
}

export function grammarText(): string {
  return `${JSON.stringify(grammar(), null, 2)}\n`;
}
