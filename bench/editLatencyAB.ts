// Paired rounds of edit-latency-deep (keystroke → the new values at the line ends of the 30-layer
// net) in one code-server: settings variants alternate round by round, so a comparison is not
// decided by the machine's speed moving between two bench runs (it moves 15–20 ms of the median).
//   node --import tsx bench/editLatencyAB.ts
// Environment: VARIANTS (JSON: name → user settings laid over the defaults; default {"default":{}}),
// ROUNDS (3; 20 edits each, as the bench row), VSIX (the package to test; default the repository's own, built
// with `npm run package`), CONTROL=0 to leave out the control (bench/lens-probe's plain-text copy).
// To compare two builds, run it once per .vsix, alternating.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE, QUIET_SETTINGS, ROOT, codeServerDirs, freePort, installVsix, startCodeServer, writeUserSettings } from '../scripts/codeServer';
import { E2E_SETTINGS, Workbench } from '../test/e2e/workbench';
import { deepNetText } from '../test/fixtures/deepNet';
import { packProbe, startKeyClock, timeSeedLine } from './editLatency';

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2;
};

async function main(): Promise<void> {
  const variants = JSON.parse(process.env.VARIANTS ?? '{"default":{}}') as Record<string, Record<string, unknown>>;
  const rounds = Number(process.env.ROUNDS ?? 3);
  const vsix = process.env.VSIX ?? join(ROOT, `${PACKAGE.name}-${PACKAGE.version}.vsix`);
  if (!existsSync(vsix)) throw new Error(`${vsix} does not exist: run \`npm run package\` first, or set VSIX`);
  const control = process.env.CONTROL !== '0';
  const tmp = mkdtempSync(join(tmpdir(), 'gradlens-ab-'));
  const dataDir = join(tmp, 'code-server');
  installVsix(vsix, dataDir);
  if (control) installVsix(packProbe(tmp), dataDir);
  const base = { ...QUIET_SETTINGS, ...E2E_SETTINGS };
  const server = await startCodeServer({ dataDir, port: await freePort(), auth: 'none' /* a throwaway server */, settings: base });
  process.env.GRADLENS_E2E_TMP = tmp;
  process.env.GRADLENS_E2E_URL = server.url;
  const wb = await Workbench.open('edit-latency-ab');
  const all: Record<string, number[]> = {};
  try {
    writeFileSync(join(wb.folder, 'deep-net.grad'), deepNetText(30));
    writeFileSync(join(wb.folder, 'deco-deep-net.txt'), deepNetText(30));
    await startKeyClock(wb.page);
    const { userDataDir } = codeServerDirs(dataDir);
    const round = async (name: string, file: string, r: number) => {
      const { times, median: m } = await timeSeedLine(wb, file, `the line ends of ${file}`, 120_000);
      (all[name] ??= []).push(...times);
      console.log(`round ${r} ${name}: median ${m.toFixed(1)} ms (${times.map((x) => x.toFixed(0)).join(' ')})`);
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
