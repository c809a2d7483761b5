// Paired rounds of edit-latency-deep (keystroke → the new values at the line ends of the 30-layer
// net) in one code-server: settings variants alternate round by round, so a comparison is not
// decided by the machine's speed moving between two bench runs (it moves 15–20 ms of the median).
//   node --import tsx bench/editLatencyAB.ts
// Environment: VARIANTS (JSON: name → user settings laid over the defaults; default {"default":{}}),
// ROUNDS (3), EDITS per round (20), VSIX (the package to test; default the repository's own, built
// with `npm run package`), CONTROL=0 to leave out the control (bench/lens-probe's plain-text copy).
// To compare two builds, run it once per .vsix, alternating.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE, QUIET_SETTINGS, ROOT, codeServerDirs, freePort, installVsix, startCodeServer, writeUserSettings } from '../scripts/codeServer';
import { E2E_SETTINGS, Workbench } from '../test/e2e/workbench';
import { DEEP_NET_SEED_LINE, deepNetText } from '../test/fixtures/deepNet';

interface PageGlobals {
  __keyAt: number;
  __readLineEnds(): string;
  document: { querySelectorAll(s: string): ArrayLike<unknown> };
  getComputedStyle(e: unknown, pseudo: string): { content: string };
  addEventListener(type: string, f: () => void, capture: boolean): void;
}

/** The texts drawn at the line ends (decorations' ::after content), joined. */
function readLineEnds(): string {
  const g = globalThis as unknown as PageGlobals;
  return Array.from(g.document.querySelectorAll('.view-lines [class*="ced-"]'), (e) => g.getComputedStyle(e, '::after').content)
    .filter((c) => c && c !== 'none' && c !== 'normal')
    .join('|');
}

/** Types `edits` + 2 digits over the seed and times each, keydown → the first frame with new, current texts. */
async function timeEdits(page: Workbench['page'], edits: number): Promise<number[]> {
  await page.evaluate(`globalThis.__readLineEnds = ${readLineEnds.toString()}`);
  const times: number[] = [];
  for (let i = 0; i < edits + 2; i++) {
    const before = await page.evaluate(readLineEnds);
    await page.keyboard.press('Shift+ArrowLeft');
    const wait = page.waitForFunction(
      (prev: string) => {
        const g = globalThis as unknown as PageGlobals;
        const now = g.__readLineEnds();
        return now !== prev && now.length > 0 && !now.includes('updating…') ? performance.now() - g.__keyAt : false;
      },
      before,
      { polling: 'raf', timeout: 30_000 },
    );
    await page.keyboard.type(String(((i + 4) % 9) + 1));
    const ms = (await (await wait).jsonValue()) as number;
    // The first two edits warm the worker up.
    if (i >= 2) times.push(ms);
    await page.waitForTimeout(700);
  }
  return times;
}

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2;
};

async function main(): Promise<void> {
  const variants = JSON.parse(process.env.VARIANTS ?? '{"default":{}}') as Record<string, Record<string, unknown>>;
  const rounds = Number(process.env.ROUNDS ?? 3);
  const edits = Number(process.env.EDITS ?? 20);
  const vsix = process.env.VSIX ?? join(ROOT, `${PACKAGE.name}-${PACKAGE.version}.vsix`);
  if (!existsSync(vsix)) throw new Error(`${vsix} does not exist: run \`npm run package\` first, or set VSIX`);
  const control = process.env.CONTROL !== '0';
  const tmp = mkdtempSync(join(tmpdir(), 'gradlens-ab-'));
  const dataDir = join(tmp, 'code-server');
  installVsix(vsix, dataDir);
  if (control) {
    const probe = join(tmp, 'lens-probe.vsix');
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '-o', probe], { cwd: join(ROOT, 'bench', 'lens-probe'), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`packaging bench/lens-probe failed: ${r.stderr || r.stdout}`);
    installVsix(probe, dataDir);
  }
  const base = { ...QUIET_SETTINGS, ...E2E_SETTINGS };
  const server = await startCodeServer({ dataDir, port: await freePort(), auth: 'none' /* a throwaway server */, settings: base });
  process.env.GRADLENS_E2E_TMP = tmp;
  process.env.GRADLENS_E2E_URL = server.url;
  const wb = await Workbench.open('edit-latency-ab');
  const all: Record<string, number[]> = {};
  try {
    writeFileSync(join(wb.folder, 'deep-net.grad'), deepNetText(30));
    writeFileSync(join(wb.folder, 'deco-deep-net.txt'), deepNetText(30));
    await wb.page.evaluate(() => {
      const g = globalThis as unknown as PageGlobals;
      g.__keyAt = 0;
      g.addEventListener('keydown', () => (g.__keyAt = performance.now()), true);
    });
    const { userDataDir } = codeServerDirs(dataDir);
    const openAtSeed = async (file: string) => {
      await wb.quickOpen(file);
      await wb.waitForLineEnds((t) => t.length >= 10, `the line ends of ${file}`, 120_000);
      await wb.page.keyboard.press('Control+G');
      await wb.page.keyboard.type(String(DEEP_NET_SEED_LINE + 1));
      await wb.page.keyboard.press('Enter');
      await wb.page.keyboard.press('End');
    };
    const round = async (name: string, file: string, r: number) => {
      await openAtSeed(file);
      const t = await timeEdits(wb.page, edits);
      (all[name] ??= []).push(...t);
      console.log(`round ${r} ${name}: median ${median(t).toFixed(1)} ms (${t.map((x) => x.toFixed(0)).join(' ')})`);
    };
    for (let r = 0; r < rounds; r++) {
      for (const [name, overlay] of Object.entries(variants)) {
        writeUserSettings(userDataDir, { ...base, ...overlay });
        // VS Code reads the changed settings file.
        await wb.page.waitForTimeout(1500);
        await round(name, 'deep-net.grad', r);
      }
      if (control) await round('control', 'deco-deep-net.txt', r);
    }
    for (const [name, t] of Object.entries(all)) console.log(`all ${name}: median ${median(t).toFixed(1)} ms over ${t.length} edits`);
  } finally {
    await wb.close();
    await server.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
