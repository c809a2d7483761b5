// edit-latency: keystroke → the new values at the line ends (the default display), and, second,
// → updated value lenses (setting gradlens.codeLens.values), in code-server, median of 20 edits
// each, through the end-to-end harness (scripts/codeServer.ts, test/e2e/workbench.ts): the packaged .vsix in a
// throwaway code-server, Debian's Chromium driven by playwright-core.
//
// Each edit replaces the digit of `seed 0` in examples/two-layer-net.grad (one keystroke that
// changes every value, so every lens must change). The time runs in the page, from the keydown
// event to the first animation frame whose code lenses differ from before the key.
// Run as its own process under tsx (`node --import tsx bench/editLatency.ts`, by bench/run.ts): the
// harness reads its own location, which a bundle would not keep. Prints one JSON line.
//
// The extension host's figures (longest event-loop delay, edit → result, GC pauses) are measured
// during the first 20 timed edits, by the extension itself, which writes them where the bench says
// (bench/hostStats.ts); the integration suite's figures only when that fails. Right after them,
// a control window: the same keystrokes in a plain-text copy of two-layer-net.grad whose line-end
// texts bench/lens-probe sets at once — the host's event loop with GradLens loaded but idle.
//
// Third, the same keystrokes on the seed of a 30-layer affine+relu net (test/fixtures/deepNet.ts),
// whose gradient checks take seconds: the values come from the analysis' values phase, before the
// checks (edit-latency-deep). Values of the older text, marked "updating…" meanwhile, do not count.
//
// The control: bench/lens-probe, a code-lens provider for plain text that answers at once with
// the document's version, installed beside GradLens. The same keystrokes in a .txt file time VS
// Code's own keystroke → lens delay, with no analysis behind it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE, QUIET_SETTINGS, ROOT, ensureTools, freePort, installVsix, startCodeServer, type CodeServer } from '../scripts/codeServer';
import { E2E_SETTINGS, Workbench } from '../test/e2e/workbench';
import { DEEP_NET_SEED_LINE, deepNetText } from '../test/fixtures/deepNet';
import { NUMBER_SETTINGS } from '../src/core/defaults';
import { STATS_FILE_ENV, resetRequestOf } from '../src/extension/statsFile';
import { hostControlNote, hostNote, integrationSuiteFigures, readHostWindow, startHostWindow, type HostFigures } from './hostStats';

export interface EditLatency {
  /** Keystroke → the new values at the line ends, with the default settings. */
  medianMs: number | null;
  /** Longest event-loop delay of the extension host's main thread during the timed edits (else from the integration suite's typing burst). */
  maxBlockedMs: number | null;
  /** Peak resident memory of the extension host (GradLens, its worker and VS Code's own share). */
  peakMb: number | null;
  note: string;
  /** The same edits, timed to the value lenses (setting gradlens.codeLens.values). */
  lenses: { medianMs: number | null; note: string };
  /** The same keystrokes in a plain-text file whose only lens provider answers at once. */
  probe?: { medianMs: number; summary: string };
  /** Keystroke → new values at the line ends on the 30-layer net (its checks take seconds). */
  deep?: { medianMs: number | null; note: string };
  /** The same keystrokes in a plain-text copy of the 30-layer net whose line-end texts an extension sets at once. */
  deepControl?: { medianMs: number; summary: string };
  /**
   * The extension host's figures during the same keystrokes in a plain-text copy of
   * two-layer-net.grad whose line-end texts an extension sets at once (no analysis): the host's
   * event loop with GradLens loaded but idle, on this machine — the control of `maxBlockedMs`.
   */
  hostControl?: { note: string; loopDelayMaxMs: number | null };
}

const EDITS = 20;

type Surface = 'lenses' | 'inline';

/**
 * Types EDITS + 2 digits over the seed (the cursor must be after it) and times each, in the page,
 * from the keydown to the first animation frame whose `surface` differs from before the key.
 * `warm` runs after the two warm-up edits, before the timed ones.
 */
async function timeEdits(page: Workbench['page'], surface: Surface, warm?: () => Promise<void>): Promise<{ median: number; summary: string; times: number[] }> {
  // What the surface shows: the code lenses' text, or the inline values' text (decorations drawn
  // as CSS ::after content on spans whose class starts with ced-).
  const read = (which: Surface): string => {
    const d = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ textContent: string | null }> } }).document;
    if (which === 'lenses') return Array.from(d.querySelectorAll('.codelens-decoration'), (e) => e.textContent ?? '').join('|');
    const style = (globalThis as unknown as { getComputedStyle(e: unknown, pseudo: string): { content: string } }).getComputedStyle;
    return Array.from(d.querySelectorAll('.view-lines [class*="ced-"]'), (e) => style(e, '::after').content)
      .filter((c) => c && c !== 'none' && c !== 'normal')
      .join('|');
  };
  // Installed as a page global (through the debugger protocol, which the page's CSP does not govern).
  await page.evaluate(`globalThis.__readSurface = ${read.toString()}`);
  const times: number[] = [];
  for (let i = 0; i < EDITS + 2; i++) {
    if (i === 2) await warm?.();
    const before = await page.evaluate(read, surface);
    await page.keyboard.press('Shift+ArrowLeft');
    const wait = page.waitForFunction(
      ([which, prev]: [Surface, string]) => {
        const g = globalThis as unknown as { __keyAt: number; __readSurface(w: Surface): string };
        const now = g.__readSurface(which);
        // Values of the older text, marked while the new ones are computed, are not the new values.
        return now !== prev && now.length > 0 && !now.includes('updating…') ? performance.now() - g.__keyAt : false;
      },
      [surface, before] as [Surface, string],
      { polling: 'raf', timeout: 30_000 },
    );
    await page.keyboard.type(String(((i + (surface === 'inline' ? 4 : 0)) % 9) + 1));
    const ms = (await (await wait).jsonValue()) as number;
    // The first two edits warm the worker up.
    if (i >= 2) times.push(ms);
    await page.waitForTimeout(surface === 'lenses' ? 200 : 700);
  }
  times.sort((a, b) => a - b);
  const median = (times[(times.length - 1) >> 1] + times[times.length >> 1]) / 2;
  return { times, median, summary: `median of ${times.length} edits (min ${times[0].toFixed(0)}, max ${times[times.length - 1].toFixed(0)} ms)` };
}

/**
 * The same keystrokes on the seed line of `file` (by default a copy of the 30-layer net, with at
 * least `minTexts` texts at its line ends), timed to the new texts at its line ends once `what` is
 * drawn there. `warm` runs after the two warm-up edits.
 */
export async function timeSeedLine(
  wb: Workbench,
  file: string,
  what: string,
  timeoutMs: number,
  opts: { seedLine?: number; minTexts?: number; warm?: () => Promise<void> } = {},
): Promise<{ median: number; summary: string; times: number[] }> {
  const minTexts = opts.minTexts ?? 10;
  await wb.quickOpen(file);
  await wb.waitForLineEnds((t) => t.length >= minTexts, `${what} at the line ends of ${file}`, timeoutMs);
  await wb.page.keyboard.press('Control+G');
  await wb.page.keyboard.type(String(opts.seedLine ?? DEEP_NET_SEED_LINE + 1));
  await wb.page.keyboard.press('Enter');
  await wb.page.keyboard.press('End');
  return timeEdits(wb.page, 'inline', opts.warm);
}

/** An error's first line, at most 200 characters, for a note. */
const firstLineOf = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 200);

/** Line of `seed 0` in examples/two-layer-net.grad (1-based), where the edit-latency row types. */
const TWO_LAYER_SEED_LINE = 9;

/**
 * The control of the edit-latency row's host figures: the same keystrokes on the same line of a
 * plain-text copy of two-layer-net.grad, whose line-end texts bench/lens-probe sets in the event
 * that reports the edit — the extension host's event loop under VS Code's own work for an edit
 * (document sync, decorations, the renderer on the same two cores) and the probe's small part, with
 * no analysis. The GradLens extension stays loaded (it writes the figures) but has nothing to
 * analyse. It runs right after GradLens' window in the same host, so it may collect garbage that
 * window left. A failure here costs only this figure, never the row's measured ones.
 */
async function hostControlWindow(wb: Workbench, statsFile: string): Promise<NonNullable<EditLatency['hostControl']>> {
  try {
    let window = { why: 'the edits ended before the window began' } as { at: number } | { why: string };
    await timeSeedLine(wb, 'deco-two-layer-net.txt', 'the texts of bench/lens-probe', 60_000, {
      seedLine: TWO_LAYER_SEED_LINE,
      minTexts: 5,
      warm: async () => {
        window = await startHostWindow(statsFile);
      },
    });
    const figures = 'at' in window ? await readHostWindow(statsFile, window.at, EDITS) : window;
    if ('why' in figures) return { note: `not measured (${figures.why})`, loopDelayMaxMs: null };
    return { note: hostControlNote(figures), loopDelayMaxMs: figures.loopDelayMaxMs };
  } catch (e) {
    return { note: `not measured (${firstLineOf(e)})`, loopDelayMaxMs: null };
  }
}

/** Installs the page's keydown clock (`__keyAt`) that timeEdits reads. */
export async function startKeyClock(page: Workbench['page']): Promise<void> {
  await page.evaluate(() => {
    const w = globalThis as unknown as { __keyAt: number; addEventListener(t: string, f: () => void, c: boolean): void };
    w.__keyAt = 0;
    w.addEventListener('keydown', () => (w.__keyAt = performance.now()), true);
  });
}

/** The 30-layer net, timed to its new values at the line ends. */
const timeDeep = (wb: Workbench) => timeSeedLine(wb, 'deep-net.grad', 'the values', 120_000);

/**
 * The control of edit-latency-deep: a plain-text copy of the 30-layer net, whose 103 line ends
 * bench/lens-probe fills with new texts in the very event that reports the edit — VS Code's own
 * way from a keystroke to the extension host and back to the screen, with as many changed texts
 * as the net has lines and no analysis behind them.
 */
const timeDeepControl = (wb: Workbench) => timeSeedLine(wb, 'deco-deep-net.txt', 'the texts of bench/lens-probe', 60_000);

/** Packages bench/lens-probe (the control) into `dir` with vsce; returns the .vsix path. */
export function packProbe(dir: string): string {
  const out = join(dir, 'lens-probe.vsix');
  const vsce = join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  const r = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '-o', out], { cwd: join(ROOT, 'bench', 'lens-probe'), encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(out)) throw new Error(`packaging bench/lens-probe failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  return out;
}

/** The control: the same keystrokes in a plain-text file whose only lens is the probe's. */
async function timeProbe(wb: Workbench): Promise<{ median: number; summary: string }> {
  await wb.quickOpen('probe.txt');
  await wb.waitForText(wb.editor.locator('.codelens-decoration'), /probe v\d+/, 'the lens of bench/lens-probe', 60_000);
  await wb.page.keyboard.press('Control+Home');
  await wb.page.keyboard.press('End');
  return timeEdits(wb.page, 'lenses');
}

/**
 * Peak resident memory (VmHWM) of the extension host under `rootPid`: the process GradLens and
 * its analysis worker (a thread) live in, VS Code's own extension-host baseline included. Linux only.
 */
function extensionHostPeakMb(rootPid: number): number | null {
  if (!existsSync('/proc/self/status')) return null;
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may hold spaces: state, ppid, …
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  let peakKb: number | null = null;
  const queue = [...(children.get(rootPid) ?? [])];
  while (queue.length) {
    const pid = queue.shift() as number;
    queue.push(...(children.get(pid) ?? []));
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('extensionHost')) continue;
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (hwm) peakKb = Math.max(peakKb ?? 0, Number(hwm[1]));
    } catch {
      // ended
    }
  }
  return peakKb === null ? null : peakKb / 1024;
}

function unmeasured(why: string): EditLatency {
  const note = `not measured: ${why}; the end-to-end harness measures it (npm run test:e2e machinery)`;
  return { medianMs: null, maxBlockedMs: null, peakMb: null, note, lenses: { medianMs: null, note } };
}

export async function measureEditLatency(): Promise<EditLatency> {
  if (process.env.GRADLENS_BENCH_NO_EDITOR === '1') return unmeasured('GRADLENS_BENCH_NO_EDITOR=1');
  // A fresh clone has no code-server yet: install it (and Chromium, as root) as the tests do.
  try {
    ensureTools();
  } catch (e) {
    return unmeasured(`the editor could not be set up (${e instanceof Error ? e.message : String(e)})`);
  }
  const pack = spawnSync(process.execPath, [join(ROOT, 'scripts', 'package.mjs')], { cwd: ROOT, encoding: 'utf8' });
  const vsix = join(ROOT, `${PACKAGE.name}-${PACKAGE.version}.vsix`);
  if (pack.status !== 0 || !existsSync(vsix)) return unmeasured(`packaging the extension failed (${(pack.stderr || pack.stdout).trim().split('\n').pop()})`);
  const tmp = mkdtempSync(join(tmpdir(), 'gradlens-bench-'));
  // Where the extension writes its figures (named by the environment only: see src/extension/statsFile.ts).
  const statsFile = join(ROOT, 'bench', 'tmp', 'edit-latency-host-stats.json');
  let server: CodeServer | null = null;
  let wb: Workbench | null = null;
  try {
    const dataDir = join(tmp, 'code-server');
    installVsix(vsix, dataDir);
    installVsix(packProbe(tmp), dataDir);
    mkdirSync(join(ROOT, 'bench', 'tmp'), { recursive: true });
    for (const f of [statsFile, resetRequestOf(statsFile)]) rmSync(f, { force: true });
    // The default settings first: the values at the line ends, no value lenses.
    server = await startCodeServer({ dataDir, port: await freePort(), auth: 'none' /* a throwaway bench server */, settings: { ...QUIET_SETTINGS, ...E2E_SETTINGS }, env: { [STATS_FILE_ENV]: statsFile } });
    process.env.GRADLENS_E2E_TMP = tmp;
    process.env.GRADLENS_E2E_URL = server.url;
    wb = await Workbench.open('bench-edit-latency');
    // Before the first Quick Open, which caches the folder's file list.
    writeFileSync(join(wb.folder, 'probe.txt'), '0\n');
    writeFileSync(join(wb.folder, 'deep-net.grad'), deepNetText(30));
    writeFileSync(join(wb.folder, 'deco-deep-net.txt'), deepNetText(30));
    writeFileSync(join(wb.folder, 'deco-two-layer-net.txt'), readFileSync(join(wb.folder, 'two-layer-net.grad'), 'utf8'));
    await wb.quickOpen('two-layer-net.grad');
    await wb.waitForLineEnds((t) => t.length >= 5, 'the values at the line ends of two-layer-net.grad', 60_000);
    const page = wb.page;
    // Cursor after the 0 of `seed 0`.
    await page.keyboard.press('Control+G');
    await page.keyboard.type(String(TWO_LAYER_SEED_LINE));
    await page.keyboard.press('Enter');
    await page.keyboard.press('End');
    await startKeyClock(page);
    // The host's figures cover the timed edits: a new window once the worker is warm.
    // (Asserted: assigned in the callback, which the compiler does not follow.)
    let hostWindow = { why: 'the edits ended before the window began' } as { at: number } | { why: string };
    const inline = await timeEdits(page, 'inline', async () => {
      hostWindow = await startHostWindow(statsFile);
    });
    // Read before the next session starts, so its work is not counted.
    const own: HostFigures | { why: string } = 'at' in hostWindow ? await readHostWindow(statsFile, hostWindow.at, EDITS) : hostWindow;
    const hostControl = await hostControlWindow(wb, statsFile);
    // The 30-layer net with the same default settings (before the value lenses are switched on:
    // with them, every keystroke also re-lays out a lens above each of its 96 statements).
    const deep = await timeDeep(wb);
    const deepControl = await timeDeepControl(wb);
    await wb.quickOpen('two-layer-net.grad');
    // Then the value lenses, switched on as a user would.
    await wb.runCommand('GradLens: Toggle Value Lenses');
    await wb.waitForCount(wb.editor.locator('.codelens-decoration'), (n) => n >= 5, 'the value lenses of two-layer-net.grad', 60_000);
    const lenses = await timeEdits(page, 'lenses');
    const probe = await timeProbe(wb);
    const peakMb = server.process.pid !== undefined ? extensionHostPeakMb(server.process.pid) : null;
    const host = 'why' in own ? integrationSuiteFigures() : own;
    return {
      medianMs: inline.median,
      maxBlockedMs: host?.loopDelayMaxMs ?? null,
      peakMb,
      note: `${inline.summary}, keydown → the changed values at the line ends (the default display: decorations the extension sets when the server's gradlens/didAnalyze arrives), with the default settings (debounce ${NUMBER_SETTINGS.debounceMs.default} ms included); ${hostNote(host, 'why' in own ? own.why : null)}; control: the same keystrokes in a plain-text copy of two-layer-net.grad whose line-end texts an extension with no analysis sets (bench/lens-probe; GradLens loaded but idle): ${hostControl.note}`,
      hostControl,
      probe: { medianMs: probe.median, summary: probe.summary },
      deepControl: { medianMs: deepControl.median, summary: deepControl.summary },
      deep: {
        medianMs: deep.median,
        note: `${deep.summary}, keydown → the changed values at the line ends of a 30-layer affine+relu net (N = 16, width 64; test/fixtures/deepNet.ts) whose gradient checks take seconds: the values come from the values lane (a second worker) while the first worker is still busy with the previous text's checks; default settings (a keystroke after a pause is analysed at once, gradlens.debounceMs = ${NUMBER_SETTINGS.debounceMs.default} ms coalesces keystrokes that follow one another); control: new texts at the 103 line ends of a plain-text copy set at once by an extension with no analysis (bench/lens-probe) show ${deepControl.median.toFixed(0)} ms after the keystroke (${deepControl.summary})`,
      },
      lenses: {
        medianMs: lenses.median,
        note:
          `${lenses.summary}, keydown → changed value lenses (gradlens.codeLens.values on). ` +
          "VS Code 1.100's code-lens controller waits at least 250 ms after an edit before it asks for lenses (CodeLensProvide debounce, min 250) and at least 250 ms more before it renders them (CodeLensResolve debounce, min 250), so < 150 ms cannot be reached through code lenses; " +
          `control: a lens provider that answers at once (bench/lens-probe, plain text) shows its new lens ${probe.median.toFixed(0)} ms after the keystroke (${probe.summary})`,
      },
    };
  } catch (e) {
    return unmeasured(`the harness failed: ${firstLineOf(e)}`);
  } finally {
    await wb?.close();
    await server?.stop();
    rmSync(tmp, { recursive: true, force: true });
    // Its figures run on past the window the row used: gone, so no one reads them as the row's.
    for (const f of [statsFile, resetRequestOf(statsFile)]) rmSync(f, { force: true });
  }
}

if (require.main === module) {
  measureEditLatency().then(
    (r) => {
      process.stdout.write(JSON.stringify(r) + '\n');
      process.exit(0);
    },
    (e: unknown) => {
      process.stdout.write(JSON.stringify(unmeasured(`the harness failed: ${String(e).slice(0, 200)}`)) + '\n');
      process.exit(0);
    },
  );
}
