// Input generators for fuzzing the core: grammar-aware random programs (declarations,
// expressions over the op table, gates with backward blocks, expects) and mutations of the
// examples (token and character edits). Shared by the quick fuzz in `npm test` and `npm run fuzz`.
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deriveGateInText } from '../../src/core/checks/derive';

const examplesDir = join(__dirname, '..', '..', 'examples');

export function exampleTexts(): string[] {
  const files = [
    ...readdirSync(examplesDir)
      .filter((f) => f.endsWith('.grad'))
      .map((f) => join(examplesDir, f)),
    ...readdirSync(join(examplesDir, 'broken'))
      .filter((f) => f.endsWith('.grad'))
      .map((f) => join(examplesDir, 'broken', f)),
  ];
  return files.map((f) => readFileSync(f, 'utf8'));
}

const DIMS = ['N', 'D', 'H', 'C', 'K'];
const NAMES = ['x', 'y', 'W', 'b', 'h', 'z', 's', 'loss', 'dout', 'dX', 'out'];
const UNARY = ['exp', 'log', 'sqrt', 'abs', 'square', 'tanh', 'sigmoid', 'relu', 'leaky_relu', 'elu', 'gelu', 'silu', 'sign', 'softmax', 'log_softmax', 'sum', 'mean', 'max', 'min', 'logsumexp', 'l2', 'l1', 'transpose', 'ones_like'];
const BINARY_FN = ['max', 'min', 'mse', 'sigmoid_bce', 'max_margin', 'softmax_ce', 'svm', 'pick', 'one_hot', 'concat', 'stack', 'reshape', 'dropout', 'clip', 'elastic', 'expand_dims', 'conv2d', 'max_pool2d', 'rnn', 'batchnorm', 'maxout', 'conv2d_dx', 'layernorm', 'batchnorm2d', 'groupnorm', 'groupnorm_dx', 'embedding', 'naive_softmax_loss', 'neg_sampling_loss', 'lstm', 'lstm_dWx', 'attention', 'multihead_attention', 'attention_dk', 'multihead_attention_dWo', 'gelu_dx'];
const OPS = ['+', '-', '*', '/', '@', '**', '>', '==', '<='];
const KWARGS = ['axis=0', 'axis=-1', 'axis=1', 'keepdims=true', 'p=0.5', 'alpha=0.1', 'delta=1', 'stride=2', 'pad=1', 'size=2', 'eps=1e-5', 'axs=0', 'causal=true', 'heads=2', 'mask=x'];
const NUMBERS = ['0', '1', '-2', '0.5', '.5', '1e-3', '3', '1e400', '1e', '7'];

const dim = fc.constantFrom(...DIMS, '1', '2', '3', '0');
const shape = fc.array(dim, { minLength: 0, maxLength: 4 }).map((d) => `[${d.join(', ')}]`);
const name = fc.constantFrom(...NAMES);

/** A random expression over names, numbers, operators and built-in calls. */
export const expression: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    name,
    fc.constantFrom(...NUMBERS),
    fc.tuple(tie('e'), fc.constantFrom(...OPS), tie('e')).map(([a, op, b]) => `${a} ${op} ${b}`),
    tie('e').map((a) => `(${a})`),
    tie('e').map((a) => `-${a}`),
    tie('e').map((a) => `${a}.T`),
    fc.tuple(tie('e'), fc.integer({ min: -3, max: 3 })).map(([a, i]) => `${a}[${i}]`),
    fc.tuple(fc.constantFrom(...UNARY), tie('e'), fc.option(fc.constantFrom(...KWARGS))).map(([f, a, k]) => `${f}(${a}${k ? `, ${k}` : ''})`),
    fc.tuple(fc.constantFrom(...BINARY_FN), fc.array(tie('e'), { maxLength: 5 }), fc.option(fc.constantFrom(...KWARGS))).map(([f, args, k]) => `${f}(${args.join(', ')}${k ? `, ${k}` : ''})`),
    fc.array(tie('e'), { maxLength: 3 }).map((xs) => `[${xs.join(', ')}]`),
  ),
})).e;

const declaration = fc.oneof(
  fc.tuple(fc.constantFrom('input', 'param', 'const'), name, shape, fc.constantFrom('', ' ~ he', ' ~ xavier', ' = 0', ' = [1, 2]', ' ~ normal(0.1)', ' ~ uniform(1, 0)', ' ~ zeros')).map(([k, n, s, i]) => `${k} ${n}: ${s}${i}`),
  fc.tuple(name, fc.constantFrom('N', 'C', '3')).map(([n, c]) => `input ${n}: int[N] in 0..${c}`),
  fc.tuple(name, fc.constantFrom(...NUMBERS)).map(([n, v]) => `input ${n} = ${v}`),
);

const dimsLine = fc.array(fc.tuple(fc.constantFrom(...DIMS), fc.integer({ min: 0, max: 9 })), { minLength: 1, maxLength: 5 }).map((ds) => `dims ${ds.map(([d, v]) => `${d} = ${v}`).join(', ')}`);

const assignment = fc.tuple(name, expression).map(([n, e]) => `${n} = ${e}`);

const expectLine = fc.oneof(
  fc.tuple(name, shape).map(([n, s]) => `expect shape ${n} == ${s}`),
  fc.tuple(fc.constantFrom('value', 'grad'), name, fc.constantFrom('==', '~='), fc.constantFrom(...NUMBERS)).map(([w, n, op, v]) => `expect ${w} ${n} ${op} ${v}`),
);

const gate = fc
  .tuple(
    fc.constantFrom('g', 'affine', 'f'),
    fc.array(fc.tuple(name, shape), { minLength: 1, maxLength: 3 }),
    shape,
    fc.array(assignment, { minLength: 1, maxLength: 3 }),
    fc.option(fc.array(assignment, { maxLength: 3 })),
  )
  .map(([g, params, out, body, bw]) => {
    const header = `gate ${g}(${params.map(([n, s]) => `${n}: ${s}`).join(', ')}) -> out: ${out} {`;
    const back = bw ? [`  backward {`, ...bw.map((l) => `    ${l}`), `  }`] : [];
    return [header, ...body.map((l) => `  ${l}`), '  out = x', ...back, '}'].join('\n');
  });

/** A whole random program. */
export const program: fc.Arbitrary<string> = fc
  .tuple(fc.option(fc.integer({ min: 0, max: 99 })), dimsLine, fc.array(fc.oneof(declaration, assignment, expectLine, gate), { maxLength: 12 }))
  .map(([seed, dims, lines]) => [seed === null ? '' : `seed ${seed}`, dims, ...lines, ''].join('\n'));

const TOKENS = ['(', ')', '[', ']', '{', '}', ',', '@', '*', '+', '-', '.T', '0', '-1', 'N', 'x', 'sum(', 'axis=', '\n', ' ', '=', 'gate', 'backward', 'dout', '1e400', '..', 'int', ':', '~', 'relu(', '**', '/', "'", '#', '$', '×', '\t', '\r\n', '\u00a0'];

/** An example file with a few random edits (insert a token, delete a run, duplicate a slice). */
export function mutation(texts: string[]): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.integer({ min: 0, max: texts.length - 1 }),
      fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 2 }), fc.constantFrom(...TOKENS), fc.integer({ min: 1, max: 12 })), { minLength: 1, maxLength: 6 }),
    )
    .map(([i, edits]) => {
      let t = texts[i];
      for (const [where, kind, token, len] of edits) {
        const pos = Math.floor(where * t.length);
        if (kind === 0) t = t.slice(0, pos) + token + t.slice(pos);
        else if (kind === 1) t = t.slice(0, pos) + t.slice(pos + len);
        else t = t.slice(0, pos) + t.slice(Math.max(0, pos - len * 4), pos) + t.slice(pos);
      }
      return t;
    });
}

/**
 * Well-formed programs (type-directed): tensors of shapes [N, D], [D, H], [N, H] and scalars,
 * combined only in ways that fit, ending in a scalar loss — so that fuzzing reaches the forward
 * and backward passes, the gradient checks and the health checks, not just the parser. Besides
 * smooth and kinked ops they use steps (comparisons as masks, sign), powers, inputs near 0 (near
 * kinks and steps) and tiny scalars (gradients of ~0 beside truncation error): what the gradient
 * check's verdicts must get right (test/fuzz/verdicts.ts). The loss may go through a gate, written
 * by autodiff or with a backward block from "Derive backward".
 */
export const wellTyped: fc.Arbitrary<string> = (() => {
  type Kind = 'ND' | 'DH' | 'NH' | 'S';
  const names: Record<Kind, string[]> = { ND: ['X'], DH: ['W'], NH: [], S: ['s'] };
  const unary = fc.constantFrom('relu', 'tanh', 'sigmoid', 'exp', 'abs', 'square', 'leaky_relu', 'elu', 'sign');
  const step = fc.constantFrom('>', '<', '>=', '<=');
  const cut = fc.constantFrom('0', '0.1', '-0.2');
  const expr = (k: Kind, depth: number): fc.Arbitrary<string> => {
    const leaves = fc.constantFrom(...(names[k].length ? names[k] : ['X @ W']), ...(k === 'S' ? ['1', '0.5', '-2'] : []));
    if (depth <= 0) return leaves;
    const sub = (kk: Kind) => expr(kk, depth - 1);
    const options: fc.Arbitrary<string>[] = [
      leaves,
      fc.tuple(unary, sub(k)).map(([f, a]) => `${f}(${a})`),
      fc.tuple(sub(k), fc.constantFrom('+', '-', '*'), sub(k)).map(([a, o, b]) => `(${a} ${o} ${b})`),
      fc.tuple(sub(k), sub('S')).map(([a, b]) => `${a} * ${b}`),
      // A mask built with a comparison: a step, not a kink.
      fc.tuple(sub(k), sub(k), step, cut).map(([a, b, o, c]) => `(${a} * (${b} ${o} ${c}))`),
      fc.tuple(sub(k), fc.constantFrom('2', '3')).map(([a, p]) => `(${a}) ** ${p}`),
      sub(k).map((a) => `clip(${a}, lo=-0.5, hi=0.5)`),
    ];
    if (k === 'NH') options.push(fc.tuple(sub('ND'), sub('DH')).map(([a, b]) => `${a} @ ${b}`), sub('NH').map((a) => `softmax(${a}, axis=1)`), sub('NH').map((a) => `max(${a}, ${a} * 0.5)`));
    if (k === 'S') options.push(fc.tuple(fc.constantFrom('sum', 'mean', 'l2', 'l1', 'logsumexp', 'max'), sub('NH')).map(([f, a]) => `${f}(${a})`), sub('NH').map((a) => `softmax_ce(${a}, y)`), sub('NH').map((a) => `svm(${a}, y)`), sub('S').map((a) => `exp(${a}) * (${a}) ** 3`));
    if (k === 'ND') options.push(fc.tuple(sub('NH'), sub('DH')).map(([a, b]) => `${a} @ ${b}.T`));
    return fc.oneof(...options);
  };
  // Inputs at the usual scale or near 0 (every kink and step within reach of the step h); the
  // scalar param at 0.5, or tiny (a true gradient of ~0 beside truncation error).
  const xInit = fc.constantFrom('', '', ' ~ normal(0.000001)', ' ~ normal(0.001)');
  const sInit = fc.constantFrom('0.5', '0.5', '1e-9', '0.000001');
  return fc
    .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 2, max: 4 }), fc.integer({ min: 0, max: 9 }), fc.array(expr('NH', 2), { minLength: 1, maxLength: 3 }), expr('S', 3), fc.constantFrom('none', 'autodiff', 'derived'), xInit, sInit)
    .map(([N, D, H, seed, hs, loss, gateIt, x, s]) => {
      const lines = [`seed ${seed}`, `dims N = ${N}, D = ${D}, H = ${H}`, `input X: [N, D]${x}`, 'input y: int[N] in 0..H', 'param W: [D, H] ~ xavier', `param s = ${s}`];
      hs.forEach((e, i) => lines.push(`h${i} = ${e}`));
      const body = hs.length ? loss.replace(/X @ W/g, `h${hs.length - 1}`) : loss;
      if (gateIt === 'none') {
        lines.push(`loss = ${body}`);
        return `${lines.join('\n')}\n`;
      }
      lines.push('gate lossgate(X: [B, K], W: [K, J], y: int[B], s: []) -> out: [] {', `  out = ${body.replace(/\bh\d+\b/g, 'X @ W')}`, '}', 'loss = lossgate(X, W, y, s)');
      const text = `${lines.join('\n')}\n`;
      if (gateIt === 'autodiff') return text;
      // A hand-written backward block, as "Derive backward" writes it (kept as is when it cannot).
      const d = deriveGateInText(text, 'lossgate');
      return d.ok ? text.slice(0, d.edit.span.start) + d.edit.newText + text.slice(d.edit.span.end) : text;
    });
})();

// Sizes and attributes towards the limits (issue 15): the sizes a dimension, a declared shape or an
// op attribute is pushed to — around the element limit (50 M), the per-dimension limit (2^30), the
// int32 edge, and the small edge cases (0, 1, negative).
const BIG_SIZES = [0, 1, 2, 64, 512, 1000, 2048, 4096, 7000, 7072, 46_341, 65_536, 1_000_000, 50_000_000, 2 ** 30, 2 ** 30 + 1, 2 ** 31 - 1, 2 ** 31, 2 ** 53];
const ATTR_VALUES = ['0', '1', '-1', '2', '200', '4096', '65536', '1000000000', '2147483648', '-2147483649', '1e308', '1e-300', '0.999999', '1.5', '-0.5', '1e400'];
const ATTRS = ['size', 'stride', 'pad', 'heads', 'axis', 'p', 'alpha', 'eps', 'delta', 'lo', 'hi', 'keepdims', 'causal'];

/** How one grown input was made (the fuzz report counts them). */
export type Growth = 'dims' | 'shape' | 'attr' | 'repeat' | 'nest';

/**
 * An example (or a well-typed program) with its sizes grown towards the limits: every `dims`
 * value, literal sizes in declared shapes, op attributes (`size=`, `stride=`, `pad=`, `heads=`, …),
 * a statement repeated thousands of times (towards the statement and node caps), or gates calling
 * the previous one twice (exponential inlining). What the core must answer with a result or a
 * `too-large` diagnostic, within the time bound and without exhausting memory.
 */
export function grown(texts: string[]): fc.Arbitrary<string> {
  const base = fc.oneof(fc.constantFrom(...texts), wellTyped);
  const growth = fc.tuple(fc.constantFrom<Growth>('dims', 'dims', 'shape', 'attr', 'attr', 'repeat', 'nest'), fc.constantFrom(...BIG_SIZES), fc.constantFrom(...ATTR_VALUES), fc.double({ min: 0, max: 1, noNaN: true }));
  return fc.tuple(base, fc.array(growth, { minLength: 1, maxLength: 3 })).map(([text, steps]) => {
    let t = text;
    for (const [kind, size, attr, where] of steps) t = grow(t, kind, size, attr, where);
    return t;
  });
}

function grow(text: string, kind: Growth, size: number, attr: string, where: number): string {
  const lines = text.split('\n');
  const pick = (pred: (l: string) => boolean): number => {
    const idx = lines.flatMap((l, i) => (pred(l) ? [i] : []));
    return idx.length ? idx[Math.floor(where * idx.length) % idx.length] : -1;
  };
  switch (kind) {
    case 'dims': {
      // One dimension of the dims line (chosen by `where`) grows to `size`; the others may stay.
      const i = pick((l) => /^\s*dims\b/.test(l));
      if (i < 0) return `dims N = ${size}\n${text}`;
      const parts = [...lines[i].matchAll(/(\w+)\s*=\s*\d+/g)];
      if (!parts.length) return text;
      const m = parts[Math.floor(where * parts.length) % parts.length];
      lines[i] = lines[i].slice(0, m.index) + `${m[1]} = ${size}` + lines[i].slice((m.index ?? 0) + m[0].length);
      return lines.join('\n');
    }
    case 'shape': {
      // A declaration's shape: one of its sizes (a name or a number) becomes the literal `size`.
      const i = pick((l) => /^\s*(input|param|const)\b.*:\s*(int)?\[/.test(l));
      if (i < 0) return `${text}\nparam Big: [${size}, ${size}] ~ ones\nbig = sum(Big * Big)\n`;
      lines[i] = lines[i].replace(/\[([^\]]*)\]/, (_, inner: string) => {
        const ds = inner.split(',').map((d) => d.trim());
        ds[Math.floor(where * ds.length) % Math.max(1, ds.length)] = String(size);
        return `[${ds.join(', ')}]`;
      });
      return lines.join('\n');
    }
    case 'attr': {
      // An op attribute pushed to an extreme; where none is written, one is added to a call.
      const i = pick((l) => /\b(size|stride|pad|heads|axis|p|alpha|eps|delta|lo|hi|keepdims|causal)\s*=/.test(l));
      if (i >= 0) {
        const names = [...lines[i].matchAll(/\b(size|stride|pad|heads|axis|p|alpha|eps|delta|lo|hi|keepdims|causal)\s*=\s*[^,)]+/g)];
        const m = names[Math.floor(where * names.length) % names.length];
        lines[i] = lines[i].slice(0, m.index) + `${m[1]}=${attr}` + lines[i].slice((m.index ?? 0) + m[0].length);
        return lines.join('\n');
      }
      const j = pick((l) => /\w\(/.test(l) && !/^\s*(gate|#)/.test(l));
      if (j < 0) return text;
      const name = ATTRS[Math.floor(where * ATTRS.length) % ATTRS.length];
      lines[j] = lines[j].replace(/(\w+)\(([^()]*)\)/, (_, f: string, args: string) => `${f}(${args}${args.trim() ? ', ' : ''}${name}=${attr})`);
      return lines.join('\n');
    }
    case 'repeat': {
      // A statement written again and again (each reading the previous): thousands of statements.
      const count = Math.min(30_000, Math.max(2, size % 30_000));
      const i = pick((l) => /^\s*[A-Za-z_]\w*\s*=/.test(l) && !/^\s*(dims|seed)\b/.test(l));
      if (i < 0) return text;
      const name = /^\s*([A-Za-z_]\w*)/.exec(lines[i])?.[1] ?? 'x';
      const extra = Array.from({ length: count }, (_, k) => `${name}_r${k} = ${k === 0 ? name : `${name}_r${k - 1}`} * 1.0001`);
      return [...lines.slice(0, i + 1), ...extra, ...lines.slice(i + 1)].join('\n');
    }
    case 'nest': {
      // Gates that each call the previous one twice: 2^depth inlined calls.
      const depth = 4 + (size % 20);
      const gates = ['gate g0(x: [Q]) -> out: [Q] {', '  out = tanh(x)', '}'];
      for (let k = 1; k <= depth; k++) gates.push(`gate g${k}(x: [Q]) -> out: [Q] {`, `  out = g${k - 1}(x) + g${k - 1}(x)`, '}');
      return `${text}\ndims Q = 3\n${gates.join('\n')}\ninput nest_in: [Q]\nnest_out = sum(g${depth}(nest_in))\n`;
    }
  }
}
