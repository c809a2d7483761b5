// The commands of the palette, code lenses and views. Each is a thin wrapper: ask the language
// server and show the answer.
import { formatNumber, parseDimSize } from '../core';
import * as vscode from 'vscode';
import { runScriptCommand } from './terminalCommand';
import { defaultScriptName, type ExportTarget } from '../core';
import { deriveMessage } from '../shared/present/deriveText';
import { DerivePreview } from './derivePreview';
import { gateAt } from '../shared/present/symbolAt';
import { VERDICT_MARK } from '../shared/present/text';
import type { AnalysisClient } from './client/analysisClient';
import { LANGUAGE_ID } from './client/startClient';
import type { WebviewController } from './dashboard/controller';

export interface CommandContext {
  service: AnalysisClient;
  extensionUri: vscode.Uri;
  /** `publisher.name`, for the walkthrough's id. */
  extensionId: string;
  log: vscode.OutputChannel;
  showInGraph(uri: vscode.Uri, name?: string): Promise<void>;
  /** Opens the dashboard for a file and returns its controller (to start long tasks). */
  dashboard(uri: vscode.Uri): WebviewController;
}

function activeGradEditor(): vscode.TextEditor | undefined {
  const e = vscode.window.activeTextEditor;
  return e && e.document.languageId === LANGUAGE_ID ? e : undefined;
}

/** A command's document: the URI it was given (code lenses from the server pass a string), else the active editor's. */
async function documentFor(uri?: vscode.Uri | string): Promise<vscode.TextDocument | undefined> {
  if (uri instanceof vscode.Uri) return vscode.workspace.openTextDocument(uri);
  if (typeof uri === 'string' && uri) return vscode.workspace.openTextDocument(vscode.Uri.parse(uri));
  const e = activeGradEditor();
  if (!e) void vscode.window.showInformationMessage('GradLens: open a .grad file first.');
  return e?.document;
}

/** The gate named, the gate at the cursor, or one the user picks. */
async function pickGate(ctx: CommandContext, doc: vscode.TextDocument, name?: string): Promise<string | undefined> {
  if (typeof name === 'string') return name;
  const r = await ctx.service.analyzeNow(doc);
  const editor = vscode.window.activeTextEditor;
  if (editor && editor.document === doc) {
    const g = gateAt(r.analysis, { line: editor.selection.active.line, character: editor.selection.active.character });
    if (g) return g.name;
  }
  if (r.analysis.gates.length === 0) {
    void vscode.window.showInformationMessage('GradLens: this file has no gates.');
    return undefined;
  }
  if (r.analysis.gates.length === 1) return r.analysis.gates[0].name;
  return vscode.window.showQuickPick(
    r.analysis.gates.map((g) => g.name),
    { placeHolder: 'Which gate?' },
  );
}

/** Flips a boolean setting where the user set it (folder, workspace), else for the user: like rust-analyzer's toggles. */
async function toggleSetting(key: string, byDefault: boolean): Promise<void> {
  const config = vscode.workspace.getConfiguration('gradlens', vscode.window.activeTextEditor?.document.uri);
  const info = config.inspect<boolean>(key);
  const target = info?.workspaceFolderValue !== undefined ? vscode.ConfigurationTarget.WorkspaceFolder : info?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await config.update(key, !config.get<boolean>(key, byDefault), target);
}

/** The derived backward block as a workspace edit of the document. */
export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  const { service } = ctx;
  const reg = (id: string, f: (...args: never[]) => unknown) => vscode.commands.registerCommand(id, f);
  const derivePreview = new DerivePreview();
  return [
    derivePreview,
    reg('gradlens.run', async (uri?: vscode.Uri | string) => {
      const doc = await documentFor(uri);
      if (!doc) return;
      const r = await service.analyzeNow(doc);
      const a = r.analysis;
      const root = a.nodes.find((n) => n.name === a.root);
      const errors = a.diagnostics.filter((d) => d.severity === 'error').length;
      const msg = root?.value ? `${a.root} = ${formatNumber(root.value[0])}` : errors ? `${errors} error${errors > 1 ? 's' : ''} (see Problems)` : 'nothing to differentiate';
      void vscode.window.showInformationMessage(`GradLens: ${msg} — forward and backward in ${Math.round(a.timings.totalMs)} ms.`);
      return a;
    }),
    reg('gradlens.checkGradients', async (uri?: vscode.Uri | string) => {
      const doc = await documentFor(uri);
      if (!doc) return;
      const r = await service.analyzeNow(doc, { forceChecks: true });
      await vscode.commands.executeCommand('gradlens.checks.focus');
      const c = r.analysis.gradchecks;
      const failed = c.filter((x) => x.verdict === 'fail').length;
      const warned = c.filter((x) => x.verdict === 'warn').length;
      void vscode.window.showInformationMessage(`GradLens: ${c.length} gradient checks — ${failed} failed, ${warned} suspicious, ${c.length - failed - warned} passed.`);
      return r.analysis.gradchecks;
    }),
    reg('gradlens.checkGate', async (uri?: vscode.Uri | string, name?: string) => {
      const doc = await documentFor(uri);
      if (!doc) return;
      const gate = await pickGate(ctx, doc, name);
      if (!gate) return;
      const r = await service.analyzeNow(doc, { forceChecks: true });
      const checks = r.analysis.gradchecks.filter((c) => c.target.startsWith(`${gate}.`));
      if (!checks.length) {
        const g = r.analysis.gates.find((x) => x.name === gate);
        void vscode.window.showInformationMessage(`GradLens: \`${gate}\` ${g?.backwardRange ? 'was not checked (it is not called, or the file has errors)' : 'has no backward block: it is differentiated automatically'}.`);
        return checks;
      }
      const text = checks.map((c) => `${VERDICT_MARK[c.verdict]} ${c.target.split('.')[1]} ${formatNumber(c.maxRelError)}`).join('  ');
      const failed = checks.some((c) => c.verdict === 'fail');
      (failed ? vscode.window.showWarningMessage : vscode.window.showInformationMessage)(`GradLens: gate \`${gate}\`: ${text}`);
      return checks;
    }),
    reg('gradlens.deriveBackward', async (uri?: vscode.Uri | string, name?: string) => {
      const doc = await documentFor(uri);
      if (!doc) return;
      const gate = await pickGate(ctx, doc, name);
      if (!gate) return;
      // The server derives from the text it has now, this version: the block's span belongs to it.
      const version = doc.version;
      const [r, analysed] = await Promise.all([service.derive(doc, gate), service.analyzeNow(doc)]);
      if (doc.version !== version) {
        const changed = `${doc.uri.path.split('/').pop() ?? 'the file'} changed while the backward pass of \`${gate}\` was derived; run Derive Backward again`;
        void vscode.window.showWarningMessage(`GradLens: ${changed}.`);
        return { result: r, message: changed, applied: false };
      }
      if (!r.ok) {
        void vscode.window.showWarningMessage(`GradLens: cannot derive the backward pass of \`${gate}\`: ${r.message}`);
        return { result: r, message: r.message, applied: false };
      }
      const range = new vscode.Range(doc.positionAt(r.edit.span.start), doc.positionAt(r.edit.span.end));
      const unchanged = doc.getText(range) === r.edit.newText;
      const message = deriveMessage(gate, r.gradients, analysed.analysis.gradchecks, unchanged);
      if (unchanged) {
        void vscode.window.showInformationMessage(`GradLens: ${message}.`);
        return { result: r, message, applied: false };
      }
      const applied = await derivePreview.offer(doc, r, gate, message);
      if (applied) void vscode.window.showInformationMessage(`GradLens: ${message}; the derived block is in place (Ctrl+Z restores yours).`);
      return { result: r, message, applied };
    }),
    reg('gradlens.toggleInlineValues', () => toggleSetting('inlineValues.enabled', true)),
    reg('gradlens.toggleValueLenses', () => toggleSetting('codeLens.values', false)),
    reg('gradlens.reseed', async (uri?: vscode.Uri | string, seed?: number) => {
      const doc = await documentFor(uri);
      if (!doc) return;
      let value = seed;
      if (typeof value !== 'number') {
        const suggestion = String(Math.floor(Math.random() * 10000));
        const input = await vscode.window.showInputBox({ prompt: 'Seed for the random inits of this file (a non-negative integer)', value: suggestion, validateInput: (v) => (/^\d+$/.test(v.trim()) ? null : 'a non-negative integer') });
        if (input === undefined) return;
        value = Number(input.trim());
      }
      return service.setOverrides(doc, { seed: value });
    }),
    reg('gradlens.setDims', async (uri?: vscode.Uri | string, dims?: Record<string, number>) => {
      const doc = await documentFor(uri);
      if (!doc) return;
      let value = dims;
      if (!value) {
        const r = await service.analyzeNow(doc);
        const current = Object.entries(r.analysis.dims)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ');
        const input = await vscode.window.showInputBox({
          prompt: 'Dimension sizes for this file (overrides its dims line until reset; empty to reset)',
          value: current,
          validateInput: (v) => {
            const r = parseDimList(v);
            return 'problem' in r ? r.problem : null;
          },
        });
        if (input === undefined) return;
        const parsed = parseDimList(input);
        if ('problem' in parsed) return;
        value = parsed.dims;
      }
      return service.setOverrides(doc, { dims: Object.keys(value).length === 0 ? null : value });
    }),
    reg('gradlens.resetOverrides', async (uri?: vscode.Uri | string) => {
      const doc = await documentFor(uri);
      if (!doc) return;
      return service.setOverrides(doc, { seed: null, dims: null });
    }),
    reg('gradlens.newFromExample', async (file?: string) => {
      const dir = vscode.Uri.joinPath(ctx.extensionUri, 'examples');
      const entries = (await vscode.workspace.fs.readDirectory(dir)).filter(([n, t]) => t === vscode.FileType.File && n.endsWith('.grad')).map(([n]) => n);
      const items = await Promise.all(
        entries.map(async (n) => {
          const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(dir, n)));
          const first = text.split('\n').find((l) => l.startsWith('#'))?.replace(/^#\s*/, '') ?? '';
          return { label: n, detail: first, text };
        }),
      );
      const pick = typeof file === 'string' ? items.find((i) => i.label === file) : await vscode.window.showQuickPick(items, { placeHolder: 'Start a new network from an example', matchOnDetail: true });
      if (!pick) return;
      const doc = await vscode.workspace.openTextDocument({ language: LANGUAGE_ID, content: pick.text });
      await vscode.window.showTextDocument(doc);
      return doc;
    }),
    reg('gradlens.exportTorch', (uri?: vscode.Uri | string, target?: vscode.Uri) => exportTo(ctx, 'torch', uri, target)),
    reg('gradlens.exportNumpy', (uri?: vscode.Uri | string, target?: vscode.Uri) => exportTo(ctx, 'numpy', uri, target)),
    reg('gradlens.openTutorial', () => vscode.commands.executeCommand('workbench.action.openWalkthrough', `${ctx.extensionId}#tutorial`, false)),
    reg('gradlens.revealNode', async (uri: vscode.Uri, range: vscode.Range) => {
      const doc = await vscode.workspace.openTextDocument(uri);
      const editor = await vscode.window.showTextDocument(doc, { preserveFocus: false });
      editor.selection = new vscode.Selection(range.start, range.end);
      editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    }),
    reg('gradlens.plotLandscape', async (uri?: vscode.Uri | string, grid?: number, span?: number) => {
      const doc = await documentFor(uri);
      if (!doc) return;
      const dashboard = ctx.dashboard(doc.uri);
      // From the palette the dashboard may be on another tab: show the one the result goes to.
      dashboard.post({ type: 'showTask', task: 'landscape' });
      dashboard.tasks.landscape(doc, typeof grid === 'number' ? grid : 41, typeof span === 'number' ? span : 1);
    }),
    reg('gradlens.trainSGD', async (uri?: vscode.Uri | string, opts?: { steps: number; lr: number; momentum: number }) => {
      const doc = await documentFor(uri);
      if (!doc) return;
      let o = opts;
      if (!o) {
        const input = await vscode.window.showInputBox({
          prompt: 'SGD: steps, learning rate, momentum',
          value: '100, 0.1, 0.9',
          validateInput: (v) => (parseTraining(v) ? null : 'three numbers: steps (1–10000), learning rate (> 0), momentum (0–0.999)'),
        });
        if (input === undefined) return;
        o = parseTraining(input) ?? undefined;
      }
      if (!o) return;
      const dashboard = ctx.dashboard(doc.uri);
      dashboard.post({ type: 'showTask', task: 'training' });
      dashboard.tasks.training(doc, o.steps, o.lr, o.momentum);
    }),
    reg('gradlens.showInGraph', async (uri?: vscode.Uri | string, name?: string) => {
      const doc = await documentFor(uri);
      if (doc) await ctx.showInGraph(doc.uri, name);
    }),
  ];
}

/**
 * Exports the file to a Python script where the user chooses (a save dialog, or `target` from a
 * test); companion files (.npz) go beside it. Nothing is written anywhere else.
 */
async function exportTo(ctx: CommandContext, kind: ExportTarget, uri?: vscode.Uri | string, target?: vscode.Uri): Promise<vscode.Uri[] | undefined> {
  const doc = await documentFor(uri);
  if (!doc) return;
  const fileName = doc.uri.path.split('/').pop() ?? 'network.grad';
  let dest = target instanceof vscode.Uri ? target : undefined;
  if (!dest) {
    const folder = doc.uri.scheme === 'file' ? vscode.Uri.joinPath(doc.uri, '..') : vscode.workspace.workspaceFolders?.[0]?.uri;
    const suggestion = defaultScriptName(kind, fileName);
    dest = await vscode.window.showSaveDialog({ defaultUri: folder ? vscode.Uri.joinPath(folder, suggestion) : undefined, filters: { Python: ['py'] }, title: `Export to ${kind === 'torch' ? 'PyTorch' : 'NumPy'}` });
    if (!dest) return;
  }
  const scriptName = dest.path.split('/').pop() ?? defaultScriptName(kind, fileName);
  const r = await ctx.service.export(doc, kind, scriptName);
  if (!r.ok) {
    void vscode.window.showWarningMessage(`GradLens: cannot export ${fileName}: ${r.error}`);
    return;
  }
  const folder = vscode.Uri.joinPath(dest, '..');
  const outs = r.files.map((f) => {
    const name = f.path.split(/[\\/]/).pop() as string;
    return name === scriptName ? dest : vscode.Uri.joinPath(folder, name);
  });
  // Never over the .grad file itself; a companion file (.npz) that exists only if the user says so
  // (the save dialog asked about the script, not about what is written beside it).
  if (outs.some((o) => o.toString() === doc.uri.toString())) {
    void vscode.window.showWarningMessage(`GradLens: not exported: it would replace ${fileName} itself. Choose another name.`);
    return;
  }
  const existing: vscode.Uri[] = [];
  for (const o of outs) {
    if (o.toString() === dest.toString()) continue;
    try {
      await vscode.workspace.fs.stat(o);
      existing.push(o);
    } catch {
      // does not exist: nothing to ask
    }
  }
  if (existing.length) {
    const replace = 'Replace';
    const names = existing.map((e) => e.path.split('/').pop()).join(', ');
    const choice = await vscode.window.showWarningMessage(`GradLens: ${names} already exist${existing.length === 1 ? 's' : ''} beside the script. Replace ${existing.length === 1 ? 'it' : 'them'}?`, { modal: true }, replace);
    if (choice !== replace) return;
  }
  const written: vscode.Uri[] = [];
  for (const [k, f] of r.files.entries()) {
    const out = outs[k];
    await vscode.workspace.fs.writeFile(out, 'content' in f ? new TextEncoder().encode(f.content) : f.bytes);
    written.push(out);
  }
  const open = 'Open';
  const python = pythonInterpreter();
  const run = `Run with ${python.label}`;
  const offers = dest.scheme === 'file' ? [open, run] : [open];
  void vscode.window.showInformationMessage(`GradLens: wrote ${written.map((w) => w.path.split('/').pop()).join(', ')}${r.warnings.length ? ` (${r.warnings.join('; ')})` : ''}`, ...offers).then((c) => {
    if (c === open) void vscode.window.showTextDocument(dest as vscode.Uri);
    // In a terminal: the script's own output, including its one line when torch or NumPy is missing.
    if (c === run) runInTerminal(python.command, (dest as vscode.Uri).fsPath);
  });
  return written;
}

/**
 * The Python the user has configured: the Python extension's `python.defaultInterpreterPath` when
 * that extension is installed, else `python3` from the PATH.
 */
export function pythonInterpreter(): { command: string; label: string } {
  if (vscode.extensions.getExtension('ms-python.python')) {
    const configured = vscode.workspace.getConfiguration('python').get<string>('defaultInterpreterPath');
    if (configured && configured.trim()) return { command: configured.trim(), label: configured.trim() === 'python' ? 'python' : configured.trim().split(/[\\/]/).slice(-3).join('/') };
  }
  return { command: 'python3', label: 'python3' };
}

function runInTerminal(python: string, script: string): void {
  const terminal = vscode.window.createTerminal({ name: 'GradLens export', cwd: vscode.Uri.file(script.replace(/[\\/][^\\/]*$/, '')) });
  terminal.show();
  terminal.sendText(runScriptCommand(python, script));
}

/** `N=8, D=20` as typed in Set Dimension Sizes: the sizes, or what is wrong (the core's rule). */
function parseDimList(v: string): { dims: Record<string, number> } | { problem: string } {
  const dims: Record<string, number> = {};
  for (const part of v.split(',').filter((p) => p.trim())) {
    const m = /^\s*([A-Za-z_]\w*)\s*=(.*)$/.exec(part);
    if (!m) return { problem: `write NAME=SIZE pairs, e.g. N=8, D=20 (found \`${part.trim()}\`)` };
    const size = parseDimSize(m[2]);
    if ('problem' in size) return { problem: `${m[1]}: ${size.problem}` };
    dims[m[1]] = size.size;
  }
  return { dims };
}

function parseTraining(v: string): { steps: number; lr: number; momentum: number } | null {
  const parts = v.split(',').map((x) => Number(x.trim()));
  if (parts.length < 2 || parts.length > 3 || parts.some((x) => !Number.isFinite(x))) return null;
  const [steps, lr, momentum = 0] = parts;
  if (!Number.isInteger(steps) || steps < 1 || steps > 10_000 || !(lr > 0 && lr <= 10) || momentum < 0 || momentum > 0.999) return null;
  return { steps, lr, momentum };
}
