#!/usr/bin/env bash
# Installs what the tests need beyond `npm ci`, when it is missing. Idempotent: a second run only
# checks (about a second).
#   - Debian packages: chromium (the browser Playwright drives), ripgrep and libkrb5-dev (code-server's
#     search binary and a header its native modules build against), python3-torch and python3-numpy
#     (the reference of the PyTorch cross-checks), libopenblas0-pthread (OpenBLAS: without it Debian's
#     torch and numpy run on the netlib reference BLAS, several times slower, which made the bench's
#     peer a crippled one), neovim, emacs-nox and elpa-eglot (the other LSP clients the tests drive:
#     Neovim's built-in client, Emacs' eglot). Needs root for apt-get; without root it prints what to
#     install and carries on (the layers that need them then fail or skip, saying why).
#   - code-server 4.100.3 (VS Code 1.100.3 with a Node extension host; newer ones need Node 22+), a
#     pinned tool install in .tools/code-server (or $GRADLENS_TOOLS_DIR/code-server), never in the
#     main node_modules. Its own install scripts download from GitHub, which is unreachable here, so
#     they are skipped and the native modules are rebuilt from source instead.
# Options: --no-apt (skip the Debian packages), --no-code-server.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tools=${GRADLENS_TOOLS_DIR:-$root/.tools}
PYTHON=${GRADLENS_PYTHON:-/usr/bin/python3}
CODE_SERVER_VERSION=4.100.3
do_apt=1
do_code_server=1
for a in "$@"; do
  case "$a" in
    --no-apt) do_apt=0 ;;
    --no-code-server) do_code_server=0 ;;
    *) echo "setup-tools: unknown option $a" >&2; exit 2 ;;
  esac
done

log() { echo "setup-tools: $*"; }

# ---- Debian packages ---------------------------------------------------------------------------
if [ "$do_apt" = 1 ]; then
  wanted=(chromium ripgrep libkrb5-dev python3-torch python3-numpy libopenblas0-pthread neovim emacs-nox elpa-eglot)
  missing=()
  for p in "${wanted[@]}"; do
    if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then missing+=("$p"); fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      log "installing from Debian: ${missing[*]}"
      started=$(date +%s)
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
      log "Debian packages installed in $(( $(date +%s) - started )) s"
    else
      echo "setup-tools: missing Debian packages; install them with: sudo apt-get install ${missing[*]}" >&2
    fi
  fi
fi

# ---- code-server -------------------------------------------------------------------------------
if [ "$do_code_server" = 1 ]; then
  cs="$tools/code-server"
  vscode_dir="$cs/node_modules/code-server/lib/vscode"
  # The stamp names the version and the lockfile, so a change of either reinstalls.
  want="code-server $CODE_SERVER_VERSION $(sha256sum "$root/scripts/code-server/package-lock.json" | cut -c1-16) node $(node -p process.versions.modules)"
  if [ "$(cat "$cs/.installed" 2>/dev/null || true)" != "$want" ]; then
    for tool in rg g++ make python3; do
      command -v "$tool" >/dev/null 2>&1 || { echo "setup-tools: code-server needs $tool (apt-get install ripgrep g++ make python3)" >&2; exit 1; }
    done
    log "installing code-server $CODE_SERVER_VERSION into $cs"
    started=$(date +%s)
    rm -rf "$cs"
    mkdir -p "$cs"
    cp "$root/scripts/code-server/package.json" "$root/scripts/code-server/package-lock.json" "$cs/"
    export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
    # --ignore-scripts: code-server's postinstall fetches ripgrep from GitHub.
    (cd "$cs" && npm ci --ignore-scripts --loglevel=error)
    # VS Code's own server dependencies, pinned by its npm-shrinkwrap.json.
    (cd "$vscode_dir" && npm_config_unsafe_perm=true npm install --omit=dev --ignore-scripts --loglevel=error)
    # Build the native modules from source (npm 11 runs dependency scripts only when allowed).
    (cd "$vscode_dir" && npm_config_yes=true npm rebuild --loglevel=error node-pty @parcel/watcher @vscode/spdlog kerberos native-watchdog @vscode/deviceid >/dev/null)
    (cd "$cs" && npm_config_yes=true npm rebuild --loglevel=error argon2 >/dev/null)
    # The search service expects @vscode/ripgrep's downloaded binary; Debian's rg is the same tool.
    mkdir -p "$vscode_dir/node_modules/@vscode/ripgrep/bin"
    cp "$(command -v rg)" "$vscode_dir/node_modules/@vscode/ripgrep/bin/rg"
    # The server loads some modules from node_modules.asar, which only the packaged VS Code has.
    ln -sfn node_modules "$vscode_dir/node_modules.asar"
    # Fail here, not in a test, if a native module did not build.
    (cd "$vscode_dir" && node -e "for (const m of ['node-pty', '@vscode/spdlog', 'native-watchdog', '@parcel/watcher', 'kerberos']) require(m)")
    node "$cs/node_modules/code-server/out/node/entry.js" --version >/dev/null
    echo "$want" > "$cs/.installed"
    log "code-server installed in $(( $(date +%s) - started )) s"
  fi
fi

# ---- report ------------------------------------------------------------------------------------
have() { command -v "$1" >/dev/null 2>&1; }
status=()
if have chromium; then status+=("chromium $(chromium --version 2>/dev/null | awk '{print $2}')"); else status+=("chromium MISSING"); fi
if have nvim; then status+=("neovim $(nvim --version 2>/dev/null | awk 'NR==1{print $2}')"); else status+=("neovim MISSING"); fi
# eglot from Debian's elpa-eglot (Emacs 29+ has it built in): ask Emacs, as test/emacs/driver.el loads it.
if have emacs; then
  if emacs --batch --eval '(progn (package-activate-all) (require (quote eglot)))' >/dev/null 2>&1; then status+=("emacs $(emacs --version 2>/dev/null | awk 'NR==1{print $3}') + eglot"); else status+=("emacs $(emacs --version 2>/dev/null | awk 'NR==1{print $3}') eglot MISSING"); fi
else status+=("emacs MISSING"); fi
if [ -f "$tools/code-server/.installed" ]; then status+=("code-server $CODE_SERVER_VERSION"); else status+=("code-server MISSING"); fi
if [ -n "${GRADLENS_PYTHON:-}" ]; then
  if "$PYTHON" -c 'import torch, numpy' >/dev/null 2>&1; then status+=("torch ok"); else status+=("torch MISSING"); fi
elif [ "$(dpkg-query -W -f='${Status}' python3-torch 2>/dev/null || true)" = "install ok installed" ]; then status+=("torch ok"); else status+=("torch MISSING"); fi
# The peer of `npm run bench` must not run on the netlib reference BLAS (bench/peer.ts).
if [ "$(dpkg-query -W -f='${Status}' libopenblas0-pthread 2>/dev/null || true)" = "install ok installed" ]; then status+=("openblas ok"); else status+=("openblas MISSING"); fi
log "ready: ${status[*]}"
