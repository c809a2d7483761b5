// The command line "Run with python3" types into a terminal after an export. Both the interpreter
// and the script path come from outside (a setting, a file name the user chose or a repository
// named): each is quoted so the shell takes it as one word and never expands anything in it.
// POSIX shells: single quotes (nothing expands inside), a ' written as '\''. PowerShell (VS Code's
// default terminal on Windows): single quotes too — inside double quotes PowerShell would expand
// `$(…)` and `$name` — with a ' doubled, and `&` to call the quoted path.

/** One word for a POSIX shell. */
export function posixQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** One literal string for PowerShell. */
export function powerShellQuote(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** `python script` as a line for the platform's default terminal shell. */
export function runScriptCommand(python: string, script: string, platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? `& ${powerShellQuote(python)} ${powerShellQuote(script)}` : `${posixQuote(python)} ${posixQuote(script)}`;
}
