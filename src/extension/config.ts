// The extension's settings (package.json `contributes.configuration`), read in one place.
import * as vscode from 'vscode';
import type { AnalyzeOptions } from '../core/analyze';

export type RunMode = 'onType' | 'onSave' | 'off';
export type LensDetail = 'off' | 'minimal' | 'full';

export interface GradLensConfig {
  run: RunMode;
  debounceMs: number;
  gradientCheck: { enabled: boolean; h: number; samples: number; fullLimit: number; maxFlops: number; thresholds: { fail: number; warn: number; kinked: number } };
  seed: number | null;
  maxElements: number;
  inlayHints: boolean;
  inlineValues: boolean;
  codeLensDetail: LensDetail;
  workerTimeoutMs: number;
  workerMemoryMb: number;
}

export function readConfig(): GradLensConfig {
  const c = vscode.workspace.getConfiguration('gradlens');
  return {
    run: c.get<RunMode>('run', 'onType'),
    debounceMs: c.get<number>('debounceMs', 75),
    gradientCheck: {
      enabled: c.get<boolean>('gradientCheck.enabled', true),
      h: c.get<number>('gradientCheck.h', 1e-5),
      samples: c.get<number>('gradientCheck.samples', 40),
      fullLimit: c.get<number>('gradientCheck.fullLimit', 1000),
      maxFlops: c.get<number>('gradientCheck.maxFlops', 2e9),
      thresholds: { fail: 1e-2, warn: 1e-4, kinked: 1e-7, ...c.get<Partial<{ fail: number; warn: number; kinked: number }>>('gradientCheck.thresholds', {}) },
    },
    seed: c.get<number | null>('seed', null),
    maxElements: c.get<number>('maxElements', 50_000_000),
    inlayHints: c.get<boolean>('inlayHints.enabled', true),
    inlineValues: c.get<boolean>('inlineValues.enabled', false),
    codeLensDetail: c.get<LensDetail>('codeLens.detail', 'full'),
    workerTimeoutMs: c.get<number>('worker.timeoutSeconds', 30) * 1000,
    workerMemoryMb: c.get<number>('worker.memoryLimitMb', 2048),
  };
}

/** Core options for one run (dimension overrides come from the Set Dimension Sizes command). */
export function analyzeOptions(cfg: GradLensConfig, dims: Record<string, number> | undefined): AnalyzeOptions {
  return {
    seed: cfg.seed ?? undefined,
    dims,
    maxElements: cfg.maxElements,
    gradcheck: cfg.gradientCheck.enabled ? checkOptions(cfg) : false,
    maxValuesPerNode: 4096,
  };
}

/** The gradient-check settings as core options. */
export function checkOptions(cfg: GradLensConfig): NonNullable<Exclude<AnalyzeOptions['gradcheck'], boolean>> {
  const g = cfg.gradientCheck;
  return { h: g.h, samples: g.samples, fullLimit: g.fullLimit, maxFlopsTotal: g.maxFlops, thresholds: g.thresholds };
}
