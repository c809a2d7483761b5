// `npm start` serves a whole VS Code on a TCP port: it must ask for a password and keep workspace
// trust on (issue 15, item 6). These tests read the command line, config file, environment and user
// settings the script builds (scripts/codeServerLaunch.ts), without starting code-server.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { codeServerLaunch, newPassword, startServerSecurity, startUserSettings, writeConfigFile, type LaunchInput } from '../../scripts/codeServerLaunch';

const base = (over: Partial<LaunchInput>): LaunchInput => ({
  entry: '/cs/entry.js',
  configFile: '/p/config.yaml',
  userDataDir: '/p/user',
  extensionsDir: '/p/extensions',
  port: 8357,
  env: {},
  ...startServerSecurity('x'.repeat(24)),
  ...over,
});

test("npm start's code-server asks for a password, keeps workspace trust on and listens on 127.0.0.1 only", () => {
  const password = newPassword();
  const l = codeServerLaunch(base({ ...startServerSecurity(password), env: { PATH: '/bin' } }));
  assert.ok(!l.args.includes('--auth'), 'no --auth flag: the config file says how to log in');
  assert.ok(!l.args.includes('none'));
  assert.ok(!l.args.includes('--disable-workspace-trust'), 'workspace trust stays on');
  assert.deepEqual(l.args.slice(l.args.indexOf('--bind-addr'), l.args.indexOf('--bind-addr') + 2), ['--bind-addr', '127.0.0.1:8357']);
  assert.match(l.configYaml, /^auth: password$/m);
  assert.ok(l.configYaml.includes(`password: "${password}"`));
  assert.ok(!l.args.some((a) => a.includes(password)), 'the password never appears on the command line (ps shows it)');
  assert.equal(l.env.PATH, '/bin');
});

test("a PASSWORD or HASHED_PASSWORD inherited from the shell cannot replace the printed password", () => {
  const l = codeServerLaunch(base({ env: { PASSWORD: 'hunter2', HASHED_PASSWORD: '$argon2$x', EXTENSIONS_GALLERY: '{"serviceUrl":"https://evil"}' } }));
  assert.equal(l.env.PASSWORD, undefined);
  assert.equal(l.env.HASHED_PASSWORD, undefined);
  assert.equal(l.env.EXTENSIONS_GALLERY, '{}', 'no extension gallery, whatever the environment says');
});

test('passwords: random, 24 printable characters; a short or non-printable one is refused', () => {
  const a = newPassword();
  const b = newPassword();
  assert.notEqual(a, b);
  assert.match(a, /^[A-Za-z0-9_-]{24}$/);
  assert.throws(() => codeServerLaunch(base({ auth: { password: 'short' } })), /16 or more printable/);
  assert.throws(() => codeServerLaunch(base({ auth: { password: 'a'.repeat(20) + '\nauth: none' } })), /printable/);
});

test("the test drivers' servers say auth none and may turn trust off; a bad port is refused", () => {
  const l = codeServerLaunch(base({ auth: 'none', workspaceTrust: false }));
  assert.equal(l.configYaml, 'auth: none\n');
  assert.ok(l.args.includes('--disable-workspace-trust'));
  assert.throws(() => codeServerLaunch(base({ port: 70000 })), /not a port/);
});

test('the config file holding the password is readable by its owner only, also when it existed before', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradlens-start-'));
  try {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'auth: none\n', { mode: 0o644 });
    writeConfigFile(file, 'auth: password\npassword: "p"\n');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readFileSync(file, 'utf8'), 'auth: password\npassword: "p"\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('user settings: a new profile gets trust on; an old profile with trust off gets it back; its other settings are kept', () => {
  const quiet = { 'security.workspace.trust.enabled': false, 'workbench.tips.enabled': false };
  const fresh = startUserSettings(quiet, null);
  assert.equal(fresh.settings?.['security.workspace.trust.enabled'], true);
  assert.equal(fresh.settings?.['workbench.tips.enabled'], false);
  const old = startUserSettings(quiet, JSON.stringify({ 'security.workspace.trust.enabled': false, 'workbench.colorTheme': 'Default Light Modern' }));
  assert.deepEqual(old.settings, { 'security.workspace.trust.enabled': true, 'workbench.colorTheme': 'Default Light Modern' });
  assert.equal(startUserSettings(quiet, JSON.stringify({ 'security.workspace.trust.enabled': true })).settings, null, 'nothing to write');
  const jsonc = startUserSettings(quiet, '{\n  // mine\n  "security.workspace.trust.enabled": false\n}');
  assert.equal(jsonc.settings, null, 'a file with comments is not rewritten');
  assert.match(jsonc.warning ?? '', /turns workspace trust off/);
  assert.equal(startUserSettings(quiet, '[1]').settings?.['security.workspace.trust.enabled'], true);
});
