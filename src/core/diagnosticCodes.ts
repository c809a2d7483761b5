// Every diagnostic the core can report, in one table. The troubleshooting page is generated
// from it and a unit test analyses each `example` and asserts that it yields its code, so the
// documentation cannot drift from the behaviour.
/** How serious a diagnostic is (LSP's four levels). */
export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface DiagnosticCodeInfo {
  severity: Severity;
  title: string;
  /** A minimal .grad file that triggers the diagnostic (null only for internal errors). */
  example: string | null;
  /** How to fix it, in one or two sentences. */
  fix: string;
}

export const DIAGNOSTIC_CODES = {
  // ---- syntax ----
  'syntax': {
    severity: 'error',
    title: 'Syntax error',
    example: 'input x = -2\ny = (x + \n',
    fix: 'The message says which token was expected. Only the broken statement is skipped; the rest of the file is still analysed.',
  },
  'invalid-character': {
    severity: 'error',
    title: 'Character not allowed',
    example: 'input x = 1\ny = x $ 2\n',
    fix: 'Remove the character. Operators are `+ - * / ** @`, comparisons `> < >= <= ==`, and `.T` for a transpose.',
  },
  'invalid-number': {
    severity: 'error',
    title: 'Malformed number',
    example: 'input x = 1e\n',
    fix: 'Write numbers as `3`, `0.5`, `.5`, `1e-3`.',
  },
  'invalid-name': {
    severity: 'error',
    title: 'Malformed name',
    example: "input x = 1\nx' = x * 2\n",
    fix: "Names are letters, digits and `_`; a trailing `'` is not allowed (write `x_prime` or `x2`).",
  },
  // ---- names ----
  'undefined-name': {
    severity: 'error',
    title: 'Undefined name',
    example: 'input x = 1\ny = x * z\n',
    fix: 'Declare the name (`input`, `param`, `const`) or define it with `name = …` before using it; the message suggests the closest existing name.',
  },
  'use-before-definition': {
    severity: 'error',
    title: 'Used before its definition',
    example: 'input x = 1\ny = x * z\nz = x + 1\n',
    fix: 'Move the definition above its first use: a .grad file is read top to bottom.',
  },
  'duplicate-definition': {
    severity: 'error',
    title: 'Name defined twice',
    example: 'input x = 1\nx = x * 2\n',
    fix: 'Every name is defined once (single assignment). Pick a new name such as `x2`.',
  },
  'unknown-function': {
    severity: 'error',
    title: 'Unknown function',
    example: 'input x: [3]\ny = sum(rleu(x))\n',
    fix: 'Use a built-in operation or a gate defined in the file; the message suggests the closest name.',
  },
  'unknown-keyword': {
    severity: 'error',
    title: 'Unknown keyword argument',
    example: 'input x: [2, 3]\ny = sum(x, axs=0)\n',
    fix: 'Use one of the keyword arguments the operation accepts; the message lists them.',
  },
  'bad-argument': {
    severity: 'error',
    title: 'Wrong arguments',
    example: 'input x: [2, 3]\ny = sum(softmax(x, axis=0.5))\n',
    fix: 'The message names the expected arguments and their kinds (tensor, integer, number, true/false, list).',
  },
  'undefined-dim': {
    severity: 'error',
    title: 'Undefined dimension',
    example: 'dims N = 4\ninput X: [N, D]\n',
    fix: 'Add the dimension to a `dims` line, e.g. `dims D = 10`, or write its size as a number.',
  },
  'duplicate-dim': {
    severity: 'error',
    title: 'Dimension defined twice',
    example: 'dims N = 4, N = 5\n',
    fix: 'Give each dimension one size.',
  },
  'bad-dim-value': {
    severity: 'error',
    title: 'Invalid dimension size',
    example: 'dims N = 0\n',
    fix: 'Dimension sizes are positive integers.',
  },
  'bad-init': {
    severity: 'error',
    title: 'Invalid initial value',
    example: 'param w: [3] = [1, 2]\n',
    fix: 'A literal must match the declared shape (a single number broadcasts); random inits are randn, normal(std), uniform(a, b), xavier, he, zeros, ones.',
  },
  // ---- shapes ----
  'shape-mismatch': {
    severity: 'error',
    title: 'Shapes do not fit',
    example: 'dims N = 4, D = 3, H = 5\ninput a: [N, D]\ninput b: [N, H]\nc = sum(a + b)\n',
    fix: 'The message names the operation, both shapes and the dimension that differs. Transpose, reshape or reduce an operand so that the shapes broadcast.',
  },
  'matmul-shape': {
    severity: 'error',
    title: 'Matrix product with mismatched inner dimensions',
    example: 'dims N = 4, D = 10, H = 5\ninput X: [N, D]\nparam W: [H, D]\nloss = sum(X @ W)\n',
    fix: 'For `A @ B` the last dimension of A must equal the first of B. Usually one operand needs `.T` or the operands are in the wrong order.',
  },
  'dim-name-mismatch': {
    severity: 'warning',
    title: 'Different dimensions that happen to have the same size',
    example: 'dims N = 4, D = 5, H = 5\ninput X: [N, D]\nparam W: [H, D]\nloss = sum(X @ W)\n',
    fix: 'The program runs only because the sizes coincide; it breaks as soon as they differ. Check for a missing transpose.',
  },
  'root-not-scalar': {
    severity: 'error',
    title: 'Backward root is not a scalar',
    example: 'input x: [3]\ny = x * 2\n',
    fix: 'The last statement is differentiated, so it must be a scalar: reduce it, e.g. `sum(...)`, or end with a loss.',
  },
  'no-root': {
    severity: 'info',
    title: 'Nothing to differentiate',
    example: 'input x = 1\n',
    fix: 'Add a statement `name = expression`; the last one is the backward root.',
  },
  'unused': {
    severity: 'warning',
    title: 'Declared tensor does not affect the root',
    example: 'input x = 1\nparam w = 2\nparam v = 3\nloss = w * x\n',
    fix: 'The tensor gets no gradient because the root does not depend on it. Use it or remove it.',
  },
  // ---- gates ----
  'gate-scope': {
    severity: 'error',
    title: 'Name not visible inside a gate',
    example: 'input X: [2, 3]\nparam W: [3, 4]\ngate f(X: [N, D]) -> out: [N, M] {\n  out = X @ W\n}\nloss = sum(f(X))\n',
    fix: 'A gate is a closed function: it sees only its inputs, its intermediates and its dimensions. Pass the tensor as an input.',
  },
  'gate-output-missing': {
    severity: 'error',
    title: 'Gate never assigns its output',
    example: 'gate f(x: [N]) -> out: [N] {\n  y = x * 2\n}\n',
    fix: 'Add a line `out = …` (the name after `->`) to the gate body.',
  },
  'gate-dout-in-forward': {
    severity: 'error',
    title: 'Upstream gradient used in the forward pass',
    example: 'gate f(x: [N]) -> out: [N] {\n  out = x * dout\n}\n',
    fix: '`d<out>` exists only inside `backward { … }`, where it is the gradient flowing into the gate from above.',
  },
  'gate-missing-gradient': {
    severity: 'error',
    title: 'Backward block does not assign an input\'s gradient',
    example: 'gate mul(a: [N], b: [N]) -> out: [N] {\n  out = a * b\n  backward {\n    da = dout * b\n  }\n}\n',
    fix: 'Assign `d<input>` for every input; write `dX = 0` for an input that truly gets no gradient.',
  },
  'gate-unknown-gradient': {
    severity: 'error',
    title: 'Gradient of a name the gate does not have',
    example: 'gate scale(W: [N]) -> out: [N] {\n  out = W * 2\n  backward {\n    dw = dout * 2\n  }\n}\n',
    fix: 'Names are case-sensitive: the gradient of input `W` is `dW`.',
  },
  'gate-call': {
    severity: 'error',
    title: 'Gate called with arguments that do not fit its declared shapes',
    example: 'dims N = 4, D = 3\ninput X: [N, D]\ninput v: [N]\ngate f(a: [B, K], b: [K]) -> out: [B] {\n  out = a @ b\n}\nloss = sum(f(X, v))\n',
    fix: 'The message shows how each gate dimension was bound by the earlier arguments and which argument disagrees.',
  },
  'backward-only': {
    severity: 'error',
    title: 'Gradient function used outside a backward block',
    example: 'dims N = 1, C = 1, S = 4, F = 1\ninput x: [N, C, S, S]\nparam w: [F, C, 3, 3]\nparam b: [F]\ny = conv2d(x, w, b)\nloss = sum(conv2d_dx(y, x, w, b))\n',
    fix: 'Functions like `conv2d_dx` compute gradients from a backward rule; they belong in a gate\'s `backward { … }` block.',
  },
  'backward-shape': {
    severity: 'error',
    title: 'Hand-written gradient has the wrong shape',
    example: 'gate affine(X: [N, D], W: [D, M]) -> out: [N, M] {\n  out = X @ W\n  backward {\n    dX = dout @ W.T\n    dW = dout.T @ X\n  }\n}\n',
    fix: 'Dimension analysis: `d<input>` must have its input\'s shape. The message proposes the arrangement of the same operands that has it (a transpose, the order of `@`, a sum over a broadcast axis).',
  },
  'copied-value': {
    severity: 'warning',
    title: 'A copied value adds its gradients',
    example: 'input x: [3]\ngate res(x: [N]) -> out: [N] {\n  h = tanh(x)\n  out = x + h\n  backward {\n    dh = dout\n    dx = dh * (1 - h * h)\n  }\n}\nloss = sum(res(x) ** 2)\n',
    fix: 'An input used by several statements of a gate\'s forward pass (x feeding q, k and v; a residual x + f(x)) receives the sum of the gradients coming back along every use. The `d<input>` line reads the gradient of some uses (`dq`) but not of the others (`dk`, `dv`): add their terms, e.g. `dx = dq @ Wq.T + dk @ Wk.T + dv @ Wv.T`. Found statically, before the gradient check runs (which fails on the same line).',
  },
  // ---- running ----
  'too-large': {
    severity: 'error',
    title: 'Too large to run',
    example: 'dims N = 100000, D = 100000\ninput X: [N, D]\nloss = sum(X)\n',
    fix:
      'Before anything runs, GradLens counts what the run will hold and do, and refuses (at the operation that weighs most) a file that would not fit. ' +
      'Memory: every float64 the run holds at once — the leaves, every value, the gradients sent back along each edge, what ops keep for their backward pass (conv2d\'s patches, masks, winners) and the largest temporary workspace — must stay within `gradlens.maxElements` ' +
      '(`--max-elements`; default 50 million = 400 MB, at most 250 million; in the editor also within `gradlens.worker.memoryLimitMb`, at most 16,384 MB: the message names the one that binds), and the analysis stops if it really holds more than that plus 64 MB, measured right after a garbage collection (garbage never stops a run); each node of the graph counts about 3 KB of that budget whatever its size (the default holds about 130,000 nodes), and in the editor the main worker has three quarters of the budget, the values lane the other quarter (by default 37,500,000 and 12,500,000 elements; a text that needs more than the lane\'s quarter gets its values from the main worker). ' +
      'Time: one forward and backward pass may cost about 1e10 operations (cost units of about a nanosecond: roughly 10 s; each graph node adds about 30 µs for building it and keeping its results). ' +
      'Size of the file: at most 16,777,216 characters (`gradlens check` reads a longer file up to the last line break before that, so no statement is read in half; the editor does not analyse it at all, nor send it to the language server, and analyses it as soon as it is shorter), 500,000 tokens (comments and blank lines make none) and 20,000 statements (the lines of gates included) are read, the graph with every gate call inlined may have at most 200,000 operations, fewer when their bookkeeping would not fit the memory or time budget (counted before it is built: gates that call gates twice are refused at once), and at most 1,000 problems are listed. ' +
      'Lower the dimension sizes in `dims` (or with --dim), the window of a pooling, the number of gate calls, or split the file. In an untrusted workspace only your user settings count, not the workspace\'s.',
  },
  'non-finite': {
    severity: 'error',
    title: 'NaN or Inf produced',
    example: 'input x = 1000\ny = exp(x)\n',
    fix: 'The first operation that produced NaN/Inf is marked, with the range of its inputs. Rescale the input, subtract the max before exp, or add an epsilon inside log/sqrt/division.',
  },
  'expect-failed': {
    severity: 'error',
    title: 'expect line is false',
    example: 'input x = -2\ninput y = 5\nf = x + y\nexpect value f == 4\n',
    fix: 'The message gives the actual value. Either the expectation or the network is wrong.',
  },
  // ---- gradient checks ----
  'gradcheck-failed': {
    severity: 'error',
    title: 'Gradient check failed',
    example: 'input x: [3]\ngate double(x: [N]) -> out: [N] {\n  out = x * 2\n  backward {\n    dx = -dout * 2\n  }\n}\nloss = sum(double(x) ** 2)\n',
    fix: 'The analytic gradient disagrees with central differences (relative error above `gradlens.gradientCheck.thresholds.fail`, 1e-2 by default) at every step tried: before an entry counts, GradLens takes its difference again at h/4 and 4h and judges the Richardson extrapolation, so a failure is not truncation, round-off or a kink or step crossed by the perturbation (those are reported as such and pass). On a gate, the diagnostic sits on the `d<input> = …` line that produced it and names the worst entry; compare it with the derivation, or use "Derive backward".',
  },
  'gradcheck-warning': {
    severity: 'warning',
    title: 'Gradient check is suspicious',
    example: 'input x: [3]\ngate double(x: [N]) -> out: [N] {\n  out = x * 2\n  backward {\n    dx = dout * 2.001\n  }\n}\nloss = sum(double(x) ** 2)\n',
    fix: 'A relative error between the `warn` and `fail` thresholds (`gradlens.gradientCheck.thresholds`, 1e-4 and 1e-2 by default), or above `kinked` (1e-7) for a smooth function, that stays at every step tried: usually a small mistake. What is not a mistake is not reported. A perturbation that crosses a kink or a step is a kink crossing, named with its op, line and element (`m = x > 0` at `x = -0.000001` with h = 1e-5: the entry shows `kink: > [1] line 2`). A disagreement that shrinks like h² (truncation) or grows like 1/h (round-off) is within the entry\'s error budget (`sum(exp(w) * w ** 3)` at `w = 1e-9`: analytic 3e-18, numeric 1e-10 at h = 1e-5, 16 times more at 4h; the extrapolation gives ~0: truncation, pass). Round-off is told by its mark, not only by its bound: an entry whose error grows 2× or more from h to h/4 is round-off even when the bound from the loss\'s own ulp is smaller — cancellation inside the graph, as in `exp(svm(h, y) ** 3) * (svm(h, y) ** 3) ** 3`, a loss of 1e16 that a step of `W` moves through the last digits of the hinge sum (the difference keeps ~4 significant digits). Such an entry is judged by its differences at h and 4h, with the round-off its difference at h/4 shows, and reads `round-off: within budget`; a wrong gradient larger than that round-off still warns or fails. If a check of such a function warns, a larger `gradlens.gradientCheck.h` (or `--h`) moves the step away from round-off. The hover\'s table and `gradlens check --json` show each confirmed entry\'s budget (truncation, round-off, the extrapolated estimate and the cause); look at the h sweep on the dashboard for the rest.',
  },
  'autodiff-fallback': {
    severity: 'info',
    title: 'Broken backward block differentiated automatically',
    example: 'dims N = 4, M = 3\ninput x: [N, M]\ninput b: [M]\ngate add(x: [N, M], b: [M]) -> out: [N, M] {\n  out = x + b\n  backward {\n    dx = dout\n    db = dout\n  }\n}\nloss = sum(add(x, b) ** 2)\n',
    fix: 'A gate whose backward block has an error (here `db` has the wrong shape) is differentiated automatically from its forward pass instead, so the values and gradients of the rest of the file stay visible while you fix it. The gate\'s own gradient checks are marked as failing (not run) until the block is fixed; fix the error the block reports.',
  },
  'gradcheck-skipped': {
    severity: 'info',
    title: 'Gradient checks skipped (budget)',
    example: 'dims N = 4000\ninput X: [N, N]\nloss = sum(X)\n',
    fix: 'Each checked entry re-runs everything downstream of its tensor twice, and one analysis may spend a bounded number of operations on the gradient checks (default 2e9 cost units, about 2 s): the checks of params and inputs share one such budget, the gates\' checks another (the first call of every gate first, then further calls). When even one entry of a tensor would exceed it, the costliest tensors are skipped and named here; a gate whose first call does not fit is named on its name, and a gate called many times says how many of its calls were checked. Raise `gradlens.gradientCheck.maxFlops` (or `gradlens check --check-flops`; at most 1e12, and in an untrusted workspace only your user setting counts) to the figure in the message, lower the dimension sizes while you debug, or rely on the gates\' own checks, which run in isolation. The checks also need working memory (a second copy of the values they re-run, a copy of the perturbed tensor, a batch of perturbations): when the run itself fits in `gradlens.maxElements` but the run and its checks together do not, the checks are skipped with a note on the root.',
  },
  // ---- health ----
  'dead-relu': {
    severity: 'warning',
    title: 'Dead ReLUs',
    example: 'dims N = 4, H = 6\ninput X: [N, H]\nparam b: [H] = -10\nh = relu(X + b)\nloss = sum(h * h)\n',
    fix: 'Units that are ≤ 0 for every example pass no gradient and never learn. Initialise the layer with `he`, check the bias, lower the learning rate, or use leaky_relu. (Reported as info from 25% dead units, as a warning from 50%.)',
  },
  'saturated': {
    severity: 'warning',
    title: 'Saturated sigmoid or tanh',
    example: 'input x: [8] ~ normal(10)\ny = sigmoid(x)\nloss = sum(y)\n',
    fix: 'Outputs within 0.01 of their limits have a local gradient near 0. Scale the inputs down (normalise the data, xavier init) or use relu. (Info from 20% saturated outputs, a warning from 50%.)',
  },
  'vanishing-gradient': {
    severity: 'warning',
    title: 'Vanishing gradients',
    example: 'dims N = 4, D = 8\ninput X: [N, D]\nparam W1: [D, D] ~ normal(0.05)\nparam W2: [D, D] ~ normal(0.05)\nparam W3: [D, D] ~ normal(0.05)\nparam W4: [D, D] ~ normal(0.05)\nh1 = sigmoid(X @ W1)\nh2 = sigmoid(h1 @ W2)\nh3 = sigmoid(h2 @ W3)\nloss = sum(h3 @ W4)\n',
    fix: 'The first layer (or the first RNN time step) gets less than 1/1000 of the gradient of the last. Use relu with he init, batchnorm, or for an RNN a better-conditioned Wh.',
  },
  'exploding-gradient': {
    severity: 'warning',
    title: 'Exploding gradients',
    example: 'dims T = 10, N = 1, D = 2, H = 2\ninput x: [T, N, D] ~ normal(0.000001)\nparam h0: [N, H] = 0\nparam Wx: [D, H] = [[1, 0], [0, 1]]\nparam Wh: [H, H] = [[3, 0], [0, 3]]\nparam b: [H] = 0\nhs = rnn(x, h0, Wx, Wh, b)\nloss = sum(hs[-1])\n',
    fix: 'The first layer (or the first RNN time step) gets more than 1000 times the gradient of the last. Lower the init scale (xavier/he), normalise, or clip gradients.',
  },
  'attention-collapse': {
    severity: 'warning',
    title: 'Attention collapsed onto one key',
    example: 'dims T = 6, d = 4\ninput q: [T, d] ~ normal(20)\ninput k: [T, d] ~ normal(20)\ninput v: [T, d]\nloss = sum(attention(q, k, v))\n',
    fix: 'When one key takes (nearly) all of a query\'s weight, the softmax is saturated and passes almost no gradient to the queries and keys. Keep the scores small: the 1/√d scale (built in to `attention`), a smaller init of the query and key projections, layernorm before the attention. (Info from 25% of the query rows with at least two keys, a warning from 50%.)',
  },
  'lstm-gate-saturated': {
    severity: 'warning',
    title: 'LSTM forget gate stuck at 0 or 1',
    example: 'dims T = 3, N = 2, D = 2, H = 2, G = 8\ninput x: [T, N, D] ~ normal(10)\nparam h0: [N, H] = 0\nparam c0: [N, H] = 0\nparam Wx: [D, G] ~ normal(5)\nparam Wh: [H, G] ~ normal(5)\nparam b: [G] = 0\nloss = sum(lstm(x, h0, c0, Wx, Wh, b))\n',
    fix: 'A forget gate within 0.01 of 0 or 1 has σ′ ≈ 0 and barely learns; near 0 the cell forgets every step and the gradient path through time is cut. Lower the scale of Wx and Wh (xavier), normalise the input, or set the forget-gate bias (columns H…2H−1 of b) to 1. (Info from 25% of the forget-gate values, a warning from 50%.)',
  },
  'constant-norm-input': {
    severity: 'warning',
    title: 'Normalising a constant row',
    example: 'dims N = 3, D = 4\ninput x: [N, D] = [[1, 2, 3, 4], [5, 5, 5, 5], [0, 1, 0, 1]]\ninput w: [N, D]\nparam g: [D] = 1\nparam b: [D] = 0\nloss = sum(layernorm(x, g, b) * w)\n',
    fix: 'A row (or group, or channel) with variance at most eps normalises to 0 or to amplified noise: its output is beta alone and its gradient is scaled by up to 1/√eps. Check the data (padding, an all-zero row), or raise eps.',
  },
  'init-scale': {
    severity: 'warning',
    title: 'Weight init does not suit the activation',
    example: 'dims N = 4, D = 100, H = 10\ninput X: [N, D]\nparam W: [D, H]\nh = relu(X @ W)\nloss = sum(h)\n',
    fix: 'A randn weight (std 1) with a large fan-in blows up the pre-activations. Use `he` before relu-like activations and `xavier` before tanh/sigmoid; the quick fix changes the init.',
  },
  'unstable-softmax': {
    severity: 'warning',
    title: 'Softmax without the max-subtraction trick',
    example: 'input s: [2, 3]\np = exp(s) / sum(exp(s), axis=1, keepdims=true)\nloss = sum(p * s)\n',
    fix: 'exp overflows past about 709. Subtracting the row max leaves the softmax unchanged and keeps exp ≤ 1; the quick fix rewrites both exps.',
  },
  'unstable-log': {
    severity: 'warning',
    title: 'Log of a probability that can be 0',
    example: 'input s: [2, 3]\nloss = -sum(log(softmax(s, axis=1)))\n',
    fix: 'A probability can underflow to 0 and log(0) = −Inf. Use log_softmax, or add an epsilon inside the log.',
  },
  'internal-error': {
    severity: 'error',
    title: 'Internal error in GradLens',
    example: null,
    fix: 'A bug in GradLens, not in your file. The message holds the details; please report it with the file that caused it.',
  },
} as const satisfies Record<string, DiagnosticCodeInfo>;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;
