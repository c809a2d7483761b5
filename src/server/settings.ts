// The language server's settings as a plain object: raw values (whatever the client's
// `workspace/configuration` answer holds — in VS Code the user's or the workspace's, with Restricted
// Mode applied — well-formed or not) → a config within the limits of src/core/defaults.ts. The unit
// tests run it on hostile values.
import type { AnalyzeOptions } from '../core';
import {
  clampNumber,
  CORE_DEFAULTS,
  DEFAULT_THRESHOLDS,
  FAST_MODES,
  limitText,
  LENS_DETAILS,
  NUMBER_SETTINGS,
  OTHER_DEFAULTS,
  RUN_MODES,
  SEED_RANGE,
  THRESHOLD_RANGE,
  type FastMode,
  type GradCheckThresholds,
  type LensDetail,
  type NumberSettingKey,
  type RunMode,
} from '../core';

export type { LensDetail, RunMode } from '../core';

export interface GradLensConfig {
  run: RunMode;
  debounceMs: number;
  gradientCheck: { enabled: boolean; h: number; samples: number; fullLimit: number; maxFlops: number; thresholds: GradCheckThresholds; fast: FastMode };
  seed: number | null;
  maxElements: number;
  inlayHints: boolean;
  inlineValues: boolean;
  codeLensDetail: LensDetail;
  /** Per-statement value lenses (off by default: the values are at the line ends). */
  codeLensValues: boolean;
  workerTimeoutMs: number;
  workerMemoryMb: number;
  /** Dead-unit shares from which a relu layer gets a note (info) and a warning. */
  deadRelu: { info: number; warn: number };
}

/** Reads one setting by its key under `gradlens.` (undefined when unset). */
export type RawSettings = (key: string) => unknown;

function oneOf<T extends string>(raw: unknown, allowed: readonly T[], fallback: T): T {
  return typeof raw === 'string' && (allowed as readonly string[]).includes(raw) ? (raw as T) : fallback;
}

function bool(raw: unknown, fallback: boolean): boolean {
  return typeof raw === 'boolean' ? raw : fallback;
}

/** Each threshold a number in [0, 1]; a missing or malformed one keeps its default. */
export function resolveThresholds(raw: unknown): GradCheckThresholds {
  const given = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const one = (k: keyof GradCheckThresholds) => clampNumber(given[k], { default: DEFAULT_THRESHOLDS[k], ...THRESHOLD_RANGE, integer: false });
  return { fail: one('fail'), warn: one('warn'), kinked: one('kinked') };
}

/** `gradlens.seed`: null, or a whole number in range (anything else: null, each file's own seed). */
export function resolveSeed(raw: unknown): number | null {
  if (typeof raw !== 'number' || !Number.isInteger(raw)) return null;
  return Math.min(SEED_RANGE.maximum, Math.max(SEED_RANGE.minimum, raw));
}

/**
 * The config from raw setting values. Numbers are clamped to their range (so a user value above a
 * resource limit's maximum is lowered to it too); a value of the wrong type is the default.
 */
export function resolveConfig(get: RawSettings): GradLensConfig {
  const n = (key: NumberSettingKey) => clampNumber(get(key), NUMBER_SETTINGS[key]);
  return {
    run: oneOf(get('run'), RUN_MODES, OTHER_DEFAULTS.run),
    debounceMs: n('debounceMs'),
    gradientCheck: {
      enabled: bool(get('gradientCheck.enabled'), OTHER_DEFAULTS['gradientCheck.enabled']),
      h: n('gradientCheck.h'),
      samples: n('gradientCheck.samples'),
      fullLimit: n('gradientCheck.fullLimit'),
      maxFlops: n('gradientCheck.maxFlops'),
      thresholds: resolveThresholds(get('gradientCheck.thresholds')),
      fast: oneOf(get('gradientCheck.fast'), FAST_MODES, OTHER_DEFAULTS['gradientCheck.fast']),
    },
    seed: resolveSeed(get('seed')),
    maxElements: n('maxElements'),
    inlayHints: bool(get('inlayHints.enabled'), OTHER_DEFAULTS['inlayHints.enabled']),
    inlineValues: bool(get('inlineValues.enabled'), OTHER_DEFAULTS['inlineValues.enabled']),
    codeLensDetail: oneOf(get('codeLens.detail'), LENS_DETAILS, OTHER_DEFAULTS['codeLens.detail']),
    codeLensValues: bool(get('codeLens.values'), OTHER_DEFAULTS['codeLens.values']),
    workerTimeoutMs: n('worker.timeoutSeconds') * 1000,
    workerMemoryMb: n('worker.memoryLimitMb'),
    deadRelu: { info: n('health.deadRelu.info'), warn: n('health.deadRelu.warn') },
  };
}

/**
 * The config from the `gradlens` section as a client sends it: nested objects, as VS Code gives them
 * (`{ gradientCheck: { h: 1e-5 } }`), or dotted keys (`{ "gradientCheck.h": 1e-5 }`).
 */
export function settingsFrom(section: unknown): GradLensConfig {
  const root = typeof section === 'object' && section !== null && !Array.isArray(section) ? (section as Record<string, unknown>) : {};
  return resolveConfig((key) => {
    if (key in root) return root[key];
    let v: unknown = root;
    for (const part of key.split('.')) v = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>)[part] : undefined;
    return v;
  });
}

/** Per-document overrides of the seed and the dimension sizes (Re-seed, Set Dimension Sizes). */
export interface DocumentOverrides {
  seed: number | null;
  dims: Record<string, number> | null;
}

/** Core options for one run of a document, with its overrides; `forceChecks` runs the checks whatever the setting. */
export function analyzeOptions(cfg: GradLensConfig, overrides: DocumentOverrides = { seed: null, dims: null }, forceChecks = false): AnalyzeOptions {
  const seed = overrides.seed ?? cfg.seed;
  const byWorker = Math.floor((cfg.workerMemoryMb * 2 ** 20) / Float64Array.BYTES_PER_ELEMENT);
  return {
    ...(seed !== null ? { seed } : {}),
    ...(overrides.dims ? { dims: overrides.dims } : {}),
    // Tensors are typed arrays, outside V8's heap limit: the run's float64s must fit in the worker's
    // memory setting too (the guard stops a run past it plus a margin).
    maxElements: Math.min(cfg.maxElements, byWorker),
    // The too-large messages name the setting that binds, and how far it goes.
    ...(byWorker < cfg.maxElements ? { maxElementsSource: workerMemorySource(cfg.workerMemoryMb) } : {}),
    deadRelu: cfg.deadRelu,
    gradcheck: cfg.gradientCheck.enabled || forceChecks ? checkOptions(cfg) : false,
    // The editor does not need 200,000 numbers per keystroke: statistics stand for larger tensors.
    maxValuesPerNode: CORE_DEFAULTS.maxValuesPerNode,
    // Nor an unbounded number of them per analysis (it is copied to the extension host and views).
    maxValuesPerAnalysis: CORE_DEFAULTS.editorValuesPerAnalysis,
  };
}

/** The element limit as the worker's memory setting sets it: the setting, its value and its maximum. */
export function workerMemorySource(mb: number): string {
  const w = NUMBER_SETTINGS['worker.memoryLimitMb'];
  return `gradlens.worker.memoryLimitMb = ${mb} MB of float64s; at most ${w.maximum} MB, and gradlens.maxElements at most ${limitText(NUMBER_SETTINGS.maxElements.maximum)}`;
}

/** The gradient-check settings as core options. */
export function checkOptions(cfg: GradLensConfig): NonNullable<Exclude<AnalyzeOptions['gradcheck'], boolean>> {
  const g = cfg.gradientCheck;
  return { h: g.h, samples: g.samples, fullLimit: g.fullLimit, maxFlopsTotal: g.maxFlops, thresholds: { ...g.thresholds }, fast: g.fast };
}
