// Every default and limit of GradLens in one place: the settings (with the range each is clamped
// to), the command line's flags and the core's own options. Read by the core (analyze.ts,
// checks/gradcheck.ts), the CLI (src/cli/args.ts) and the extension (src/extension/settings.ts);
// package.json's `contributes.configuration` (defaults, minimum, maximum) and
// `capabilities.untrustedWorkspaces.restrictedConfigurations` are generated from it by
// `npm run docs` (scripts/settings.ts), and a unit test fails when they disagree.
//
// Pure data and two small functions: no vscode, no Node, no DOM (the webview may import it).

/** A numeric setting: its default and the range a value is clamped to (also above any user value). */
export interface NumberSpec {
  default: number;
  minimum: number;
  maximum: number;
  /** Whole numbers only (a fraction is rounded). */
  integer: boolean;
}

export interface SettingSpec extends NumberSpec {
  /**
   * A resource limit: in Restricted Mode (an untrusted workspace) VS Code ignores the workspace's
   * value and uses the user's (`restrictedConfigurations`), so a repository's .vscode/settings.json
   * cannot raise it.
   */
  restricted: boolean;
}

/** The numeric settings, by key under `gradlens.`. */
export const NUMBER_SETTINGS = {
  debounceMs: { default: 25, minimum: 0, maximum: 5000, integer: true, restricted: true },
  'gradientCheck.h': { default: 1e-5, minimum: 1e-10, maximum: 1, integer: false, restricted: false },
  'gradientCheck.samples': { default: 40, minimum: 1, maximum: 10_000, integer: true, restricted: true },
  'gradientCheck.fullLimit': { default: 1000, minimum: 0, maximum: 100_000, integer: true, restricted: true },
  'gradientCheck.maxFlops': { default: 2e9, minimum: 1, maximum: 1e12, integer: false, restricted: true },
  maxElements: { default: 50_000_000, minimum: 1, maximum: 250_000_000, integer: true, restricted: true },
  'worker.timeoutSeconds': { default: 30, minimum: 1, maximum: 600, integer: false, restricted: true },
  'worker.memoryLimitMb': { default: 2048, minimum: 64, maximum: 16_384, integer: true, restricted: true },
  // The share of a relu layer's units dead for every example from which a note is shown (information),
  // and from which it is a warning.
  'health.deadRelu.info': { default: 0.25, minimum: 0, maximum: 1, integer: false, restricted: false },
  'health.deadRelu.warn': { default: 0.5, minimum: 0, maximum: 1, integer: false, restricted: false },
} as const satisfies Record<string, SettingSpec>;

export type NumberSettingKey = keyof typeof NUMBER_SETTINGS;

/** `gradlens.seed` and `--seed`: null (each file's own `seed`, the default) or a whole number in this range. */
export const SEED_RANGE = { minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;

/** Verdict thresholds on the relative error (cs231n): above `fail` fail, above `warn` warn, above `kinked` ok-if-kinked. */
export interface GradCheckThresholds {
  fail: number;
  warn: number;
  kinked: number;
}

export const DEFAULT_THRESHOLDS: Readonly<GradCheckThresholds> = Object.freeze({ fail: 1e-2, warn: 1e-4, kinked: 1e-7 });

/** Each threshold's range (a relative error lies in [0, 1]). */
export const THRESHOLD_RANGE = { minimum: 0, maximum: 1 } as const;

export type RunMode = 'onType' | 'onSave' | 'off';
export type LensDetail = 'off' | 'minimal' | 'full';

/**
 * Gradient checks in fast mode (checks/fastCheck.ts): 'on' checks each tensor by a projection on a
 * random direction, 'auto' adds one to the sample of a tensor past the sampling limit, 'off' never.
 */
export type FastMode = 'auto' | 'on' | 'off';

export const RUN_MODES: readonly RunMode[] = ['onType', 'onSave', 'off'];
export const FAST_MODES: readonly FastMode[] = ['auto', 'on', 'off'];
export const LENS_DETAILS: readonly LensDetail[] = ['off', 'minimal', 'full'];

/** Defaults of the settings that are not numbers, by key under `gradlens.`. */
export const OTHER_DEFAULTS = {
  run: 'onType' as RunMode,
  'gradientCheck.enabled': true,
  'gradientCheck.thresholds': DEFAULT_THRESHOLDS,
  'gradientCheck.fast': 'auto' as FastMode,
  seed: null as number | null,
  'inlayHints.enabled': true,
  'inlineValues.enabled': true,
  'codeLens.detail': 'full' as LensDetail,
  'codeLens.values': false,
} as const;

/** The core's own defaults and limits (no setting). */
export const CORE_DEFAULTS = {
  /**
   * Operations one forward and backward pass may cost, in cost units of about a nanosecond
   * (src/core/ops/cost.ts): about 10 s of work. A `too-large` error above.
   */
  maxFlops: 10_000_000_000,
  /**
   * Characters the lexer reads from one file (16 Mi: about 16 MB of ASCII); the rest of a longer
   * file is not read (`too-large`). Comments and blank lines make no tokens: this bounds them.
   */
  maxChars: 16 * 2 ** 20,
  /** Tokens the lexer reads from one file (comments and blank lines make none); the rest of a longer file is not read (`too-large`). */
  maxTokens: 500_000,
  /** Statements analysed in one file; later ones are not (`too-large`). */
  maxStatements: 20_000,
  /** Nodes of the lowered graph (gates inlined at every call); past it nothing runs (`too-large`). */
  maxNodes: 200_000,
  /** Diagnostics kept per analysis; one more says how many were left out. */
  maxDiagnostics: 1000,
  /**
   * Numbers (value and gradient entries) one Analysis carries in all (the CLI's --json prints
   * them): past it tensors keep their statistics only (`truncated`).
   */
  maxValuesPerAnalysis: 1_000_000,
  /** The same for the editor's analyses, which cross to the extension host on request. */
  editorValuesPerAnalysis: 20_000,
  /** Worst entries a gradient check keeps. */
  worstCount: 5,
  /** Operations one gradient check may spend. */
  maxFlopsPerTarget: 5e8,
  /** The editor's analyses keep value/grad arrays only for tensors up to this many elements. */
  maxValuesPerNode: 4096,
  /**
   * Time steps of a recurrent op whose per-step norms an Analysis carries (its records and the
   * graph view's series): a 2,000,000-step rnn would otherwise ship 16 million numbers (270 MB of
   * JSON) to the editor with every analysis.
   */
  maxStepSeries: 10_000,
} as const;

/** The gradient-check options of an analysis when nothing overrides them (gradcheck.ts: DEFAULT_GRADCHECK). */
export const DEFAULT_GRADCHECK_OPTIONS = Object.freeze({
  h: NUMBER_SETTINGS['gradientCheck.h'].default,
  fullLimit: NUMBER_SETTINGS['gradientCheck.fullLimit'].default,
  samples: NUMBER_SETTINGS['gradientCheck.samples'].default,
  worstCount: CORE_DEFAULTS.worstCount,
  maxFlopsPerTarget: CORE_DEFAULTS.maxFlopsPerTarget,
  maxFlopsTotal: NUMBER_SETTINGS['gradientCheck.maxFlops'].default,
  thresholds: DEFAULT_THRESHOLDS,
  fast: 'auto' as FastMode,
});

/**
 * A raw setting value as a number within the spec's range: a number outside it is clamped (±Infinity
 * and 1e308 included), a fraction of a whole-number setting rounded; anything else (NaN, a string,
 * an object, null) is the default.
 */
export function clampNumber(raw: unknown, spec: NumberSpec): number {
  if (typeof raw !== 'number' || Number.isNaN(raw)) return spec.default;
  const v = Math.min(spec.maximum, Math.max(spec.minimum, raw));
  return spec.integer ? Math.min(spec.maximum, Math.max(spec.minimum, Math.round(v))) : v;
}

/** A limit as the messages and the docs print it: whole numbers with thousands separators. */
export function limitText(v: number): string {
  return Number.isInteger(v) && Math.abs(v) < 1e21 ? v.toLocaleString('en-US') : String(v);
}
