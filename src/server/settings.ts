// The server's view of the `gradlens` settings: pulled from the client with
// `workspace/configuration` (so VS Code's Restricted Mode and scopes apply) and read once here,
// with the defaults for anything missing or of the wrong type.
import type { AnalyzeOptions } from '../core/analyze';
import type { GradCheckOptions } from '../core/checks/gradcheck';
import type { LensDetail } from '../shared/present/titles';

export type { LensDetail };

export type RunMode = 'onType' | 'onSave' | 'off';

export interface Settings {
  run: RunMode;
  debounceMs: number;
  gradientCheck: { enabled: boolean; h: number; samples: number; fullLimit: number; maxFlops: number; thresholds: { fail: number; warn: number; kinked: number } };
  seed: number | null;
  maxElements: number;
  inlayHints: boolean;
  inlineValues: boolean;
  codeLensDetail: LensDetail;
  /** Per-statement value lenses (off by default: the values are at the line ends). */
  codeLensValues: boolean;
  workerTimeoutMs: number;
  workerMemoryMb: number;
}

type Raw = Record<string, unknown>;

function section(raw: unknown, key: string): Raw {
  const v = raw && typeof raw === 'object' ? (raw as Raw)[key] : undefined;
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {};
}

function num(raw: Raw, key: string, fallback: number): number {
  const v = raw[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

function bool(raw: Raw, key: string, fallback: boolean): boolean {
  const v = raw[key];
  return typeof v === 'boolean' ? v : fallback;
}

function oneOf<T extends string>(raw: Raw, key: string, values: readonly T[], fallback: T): T {
  const v = raw[key];
  return typeof v === 'string' && (values as readonly string[]).includes(v) ? (v as T) : fallback;
}

/** Settings from the `gradlens` section as the client sent it (nested objects, as VS Code gives them). */
export function settingsFrom(raw: unknown): Settings {
  const r: Raw = raw && typeof raw === 'object' ? (raw as Raw) : {};
  const gc = section(r, 'gradientCheck');
  const t = section(gc, 'thresholds');
  const seed = r.seed;
  return {
    run: oneOf(r, 'run', ['onType', 'onSave', 'off'] as const, 'onType'),
    debounceMs: num(r, 'debounceMs', 75),
    gradientCheck: {
      enabled: bool(gc, 'enabled', true),
      h: num(gc, 'h', 1e-5),
      samples: num(gc, 'samples', 40),
      fullLimit: num(gc, 'fullLimit', 1000),
      maxFlops: num(gc, 'maxFlops', 2e9),
      thresholds: { fail: num(t, 'fail', 1e-2), warn: num(t, 'warn', 1e-4), kinked: num(t, 'kinked', 1e-7) },
    },
    seed: typeof seed === 'number' && Number.isInteger(seed) ? seed : null,
    maxElements: num(r, 'maxElements', 50_000_000),
    inlayHints: bool(section(r, 'inlayHints'), 'enabled', true),
    inlineValues: bool(section(r, 'inlineValues'), 'enabled', true),
    codeLensDetail: oneOf(section(r, 'codeLens'), 'detail', ['off', 'minimal', 'full'] as const, 'full'),
    codeLensValues: bool(section(r, 'codeLens'), 'values', false),
    workerTimeoutMs: num(section(r, 'worker'), 'timeoutSeconds', 30) * 1000,
    workerMemoryMb: num(section(r, 'worker'), 'memoryLimitMb', 2048),
  };
}

/** The gradient-check settings as core options. */
export function checkOptions(s: Settings): Partial<GradCheckOptions> {
  const g = s.gradientCheck;
  return { h: g.h, samples: g.samples, fullLimit: g.fullLimit, maxFlopsTotal: g.maxFlops, thresholds: g.thresholds };
}

/** Core options for one run of a document, with its overrides. */
export function analyzeOptions(s: Settings, overrides: { seed: number | null; dims: Record<string, number> | null }, forceChecks = false): AnalyzeOptions {
  const seed = overrides.seed ?? s.seed;
  return {
    ...(seed !== null ? { seed } : {}),
    ...(overrides.dims ? { dims: overrides.dims } : {}),
    maxElements: s.maxElements,
    gradcheck: s.gradientCheck.enabled || forceChecks ? checkOptions(s) : false,
    // The editor does not need 200,000 numbers per keystroke: statistics stand for larger tensors.
    maxValuesPerNode: 4096,
  };
}
