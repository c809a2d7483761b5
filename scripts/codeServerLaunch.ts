// What code-server is started with: its command line, its config file and its environment, built
// by one pure function so a unit test can read them (test/unit/start-launch.test.ts). Kept apart
// from codeServer.ts, which spawns the process and drives Chromium.
//
// Security: `npm start` serves a whole VS Code — files, terminals, tasks — on a TCP port. Any local
// process (another user's, a page in a browser that can reach 127.0.0.1) can open that port, so
// the editor it serves asks for a password, and workspace trust stays on: a folder the user has
// not trusted opens in Restricted Mode (no tasks, no debugging of its launch configurations, its
// .vscode/settings.json cannot lift GradLens' limits). Only the test drivers, which open
// throwaway copies of the examples for a few minutes, ask for `auth: 'none'`, and they say so.
import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';

/** A password for code-server's login page, or none at all (test drivers only). */
export type CodeServerAuth = { password: string } | 'none';

export interface LaunchInput {
  /** code-server's entry script. */
  entry: string;
  configFile: string;
  userDataDir: string;
  extensionsDir: string;
  port: number;
  auth: CodeServerAuth;
  /** Keep workspace trust on (a folder opens in Restricted Mode until trusted). */
  workspaceTrust: boolean;
  /** The environment the server starts from (process.env, then the caller's extras). */
  env: NodeJS.ProcessEnv;
}

export interface Launch {
  /** Arguments after `node`. */
  args: string[];
  /** The config file's text: the password goes there (mode 0600), never on the command line. */
  configYaml: string;
  env: NodeJS.ProcessEnv;
}

/** A random password: 24 characters of base64url (144 bits). */
export function newPassword(): string {
  return randomBytes(18).toString('base64url');
}

/** The command line, config file and environment of a code-server listening on 127.0.0.1 only. */
export function codeServerLaunch(o: LaunchInput): Launch {
  if (!Number.isInteger(o.port) || o.port <= 0 || o.port > 65535) throw new Error(`not a port: ${o.port}`);
  let configYaml: string;
  if (o.auth === 'none') {
    configYaml = 'auth: none\n';
  } else {
    const p = o.auth.password;
    // A password is typed by hand on the login page: printable ASCII only, and long enough.
    if (p.length < 16 || !/^[\x21-\x7e]+$/.test(p)) throw new Error('a code-server password needs 16 or more printable ASCII characters');
    // JSON's double-quoted string is a YAML double-quoted scalar.
    configYaml = `auth: password\npassword: ${JSON.stringify(p)}\n`;
  }
  // code-server takes $PASSWORD and $HASHED_PASSWORD over its config file: a value inherited from
  // the user's shell would silently replace the password printed with the URL.
  const env: NodeJS.ProcessEnv = { ...o.env, EXTENSIONS_GALLERY: '{}' };
  delete env.PASSWORD;
  delete env.HASHED_PASSWORD;
  // Not an --auth flag: the config file is the one place that says how to log in.
  const args = [
    o.entry,
    '--config', o.configFile,
    '--bind-addr', `127.0.0.1:${o.port}`,
    '--disable-telemetry',
    '--disable-update-check',
    ...(o.workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--user-data-dir', o.userDataDir,
    '--extensions-dir', o.extensionsDir,
  ];
  return { args, configYaml, env };
}

/** How `npm start` runs code-server: behind a password, with workspace trust on. */
export function startServerSecurity(password: string): { auth: CodeServerAuth; workspaceTrust: true } {
  return { auth: { password }, workspaceTrust: true };
}

/** Writes code-server's config file readable by this user only (it may hold the password), also over an older file. */
export function writeConfigFile(path: string, yaml: string): void {
  writeFileSync(path, yaml, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** User settings `npm start` keeps: workspace trust on, the trust prompt shown once per folder. */
export const START_TRUST_SETTINGS: Record<string, unknown> = {
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'once',
  'security.workspace.trust.untrustedFiles': 'prompt',
};

/**
 * The user settings `npm start` writes, from the profile's current settings.json (null when there
 * is none): on a first start the quiet defaults; later the user's own, except that workspace trust
 * is switched back on (profiles made before trust was kept on had it off). A file that is not
 * plain JSON (VS Code allows comments) is left alone, with a warning when it turns trust off.
 */
export function startUserSettings(quiet: Record<string, unknown>, existing: string | null): { settings: Record<string, unknown> | null; warning: string | null } {
  if (existing === null) return { settings: { ...quiet, ...START_TRUST_SETTINGS }, warning: null };
  let parsed: unknown;
  try {
    parsed = JSON.parse(existing);
  } catch {
    const off = /"security\.workspace\.trust\.enabled"\s*:\s*false/.test(existing);
    return { settings: null, warning: off ? 'the profile\'s settings.json turns workspace trust off ("security.workspace.trust.enabled": false) and is not plain JSON, so it was left as it is: remove that line, or start with --fresh' : null };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { settings: { ...quiet, ...START_TRUST_SETTINGS }, warning: 'the profile\'s settings.json was not a JSON object; it was replaced by the defaults' };
  const settings = parsed as Record<string, unknown>;
  if (settings['security.workspace.trust.enabled'] === true) return { settings: null, warning: null };
  return { settings: { ...settings, 'security.workspace.trust.enabled': true }, warning: null };
}
