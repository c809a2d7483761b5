// End-to-end: GradLens installed from its .vsix in a real VS Code (code-server) in Chromium, used
// through the keyboard and mouse. The steps run in order on one workbench, like a user's session.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Workbench } from './workbench';

/** The README's gate example (its second `grad` block): a user types it in the editor below. */
function readmeGateExample(): string {
  const blocks = [...readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8').matchAll(/```grad\n([\s\S]*?)```/g)].map((m) => m[1]);
  const gate = blocks.find((b) => b.includes('backward {'));
  assert.ok(gate, 'the README shows a gate with a backward block');
  return gate;
}

/** The line-end text of `param W1: [D, H] ~ he`: sizes, value norm and gradient norm (the written shape is on the line itself). */
const W1 = /^W1: 10×5 · ‖v‖ [\d.e+-]+ · ‖∂loss‖ [\d.e+-]+/;

describe('GradLens in the VS Code workbench', () => {
  let wb: Workbench;
  const step = (name: string, fn: () => Promise<void>) => it(name, () => wb.guard(name, fn));

  before(async () => {
    wb = await Workbench.open('workbench', undefined, { 'typed.grad': '' });
  });
  after(async () => {
    await wb?.close();
  });

  step('opens a broken example with Ctrl+P and renders error squiggles', async () => {
    await wb.quickOpen('broken/wrong-sign.grad');
    // The language mode in the status bar comes from the packaged manifest.
    await wb.waitForText(wb.page.locator('.statusbar'), 'Grad', 'the status bar to show the Grad language mode');
    await wb.waitForCount(wb.editor.locator('.squiggly-error'), (n) => n > 0, 'error squiggles in wrong-sign.grad', 30_000);
  });

  step('the Problems panel lists the gradient check failure', async () => {
    await wb.runCommand('View: Focus Problems');
    await wb.waitForText(wb.page.locator('.part.panel'), 'gradient check failed for `db`', 'the Problems panel to list the failing check of db');
  });

  step('runs "GradLens: Show Output" from the command palette', async () => {
    await wb.runCommand('GradLens: Show Output');
    // The output channel of the installed (packaged) extension says which version activated.
    await wb.waitForText(wb.page.locator('.part.panel'), /GradLens \d+\.\d+\.\d+ activated/, 'the GradLens output channel to show its activation line');
  });

  step('shows every statement\'s value and gradient at the end of its line on the two-layer net', async () => {
    await wb.runCommand('View: Hide Panel'); // room for the whole file
    await wb.quickOpen('two-layer-net.grad');
    // param W1: [D, H] ~ he: its shape, sizes, value norm and gradient norm with respect to the loss.
    await wb.waitForLineEnds((t) => t.some((c) => W1.test(c)), 'the values of W1 at its line end', 30_000);
    await wb.waitForLineEnds((t) => t.some((c) => /^loss: value [\d.e+-]+ · ∂loss 1$/.test(c)), 'the value of the loss at its line end');
  });

  step('typing a new seed redraws the values at the line ends, unsaved', async () => {
    const w1 = async () => (await wb.waitForLineEnds((t) => t.some((c) => W1.test(c)), 'the values of W1')).find((c) => W1.test(c));
    const before = await w1();
    await wb.goTo(9, 1); // `seed 0`
    await wb.page.keyboard.press('End');
    await wb.page.keyboard.press('Backspace');
    await wb.page.keyboard.type('7');
    await wb.waitForLineEnds((t) => t.some((c) => W1.test(c) && c !== before), `W1's values to change from ${before} after the seed changed`);
    await wb.page.keyboard.press('Control+Z');
    await wb.page.keyboard.press('Control+Z');
    await wb.waitForLineEnds((t) => t.includes(before ?? ''), "W1's values back to the seed-0 ones after undo");
  });

  step('"GradLens: Toggle Inline Values" removes the values at the line ends, and brings them back', async () => {
    await wb.runCommand('GradLens: Toggle Inline Values');
    await wb.waitForLineEnds((t) => !t.some((c) => c.includes('value')), 'the values at the line ends to be gone');
    await wb.runCommand('GradLens: Toggle Inline Values');
    await wb.waitForLineEnds((t) => t.some((c) => /loss: value [\d.e+-]+ · ∂loss 1/.test(c)), 'the value of loss back at its line end');
  });

  step('a gate\'s code lens shows its check verdict and its actions', async () => {
    await wb.quickOpen('affine-gate.grad');
    const lenses = wb.editor.locator('.codelens-decoration');
    await wb.waitForText(lenses, /✓ gradcheck [\d.e+-]+/, 'the verdict lens of a correct gate', 30_000);
    await wb.waitForText(lenses, 'Derive backward', 'the Derive backward action');
    await wb.quickOpen('two-layer-net.grad');
  });

  step('shows a hover with the shape and statistics of a tensor', async () => {
    await wb.goTo(20, 1); // `h1     = relu(X @ W1 + b1)`
    await wb.page.keyboard.press('Control+K');
    await wb.page.keyboard.press('Control+I');
    const hover = wb.page.locator('.monaco-hover:not(.hidden)');
    await wb.waitForText(hover, 'h1', 'the hover of h1');
    const text = await wb.waitForText(hover, /\[N, H\]/, 'the hover to give the shape of h1');
    assert.match(text, /mean/, `the hover has no statistics table: ${text}`);
    await wb.page.keyboard.press('Escape');
  });

  step('opens the GradLens sidebar with the graph of the active file', async () => {
    await wb.page.locator('.activitybar .action-item a[aria-label^="GradLens"]').click();
    const sidebar = wb.page.locator('.part.sidebar');
    await wb.waitForText(sidebar, /GRADLENS/i, 'the GradLens view container');
    await wb.waitForText(sidebar, /Gradient Checks/i, 'the Gradient Checks view');
    // The graph tree follows the active editor (two-layer-net.grad).
    await wb.waitForText(sidebar, 'Parameters', 'the graph tree to list the parameters group');
    // The compact dashboard (a webview view) renders; VS Code shows "An error occurred while
    // loading view" instead when its provider is missing or throws.
    await wb.webviewFrame('#app.mode-compact', 'the sidebar dashboard webview to render').catch(async (e: Error) => {
      throw new Error(`${e.message}; the sidebar shows: ${(await sidebar.innerText()).slice(0, 300)}`);
    });
    const text = await sidebar.innerText();
    assert.doesNotMatch(text, /An error occurred while loading view/, `a GradLens view failed to load: ${text.slice(0, 300)}`);
  });

  step('applies a quick fix with the keyboard (Ctrl+.) and the error goes away', async () => {
    await wb.quickOpen('broken/missing-transpose.grad');
    await wb.waitForCount(wb.editor.locator('.squiggly-error'), (n) => n > 0, 'the backward-shape squiggle', 30_000);
    await wb.goTo(17, 10); // `    dW = dout @ X`, on `dout @ X`
    await wb.page.keyboard.press('Control+.');
    const widget = wb.page.locator('.action-widget');
    await wb.waitForText(widget, 'X.T @ dout', 'the quick fix "Replace with `X.T @ dout`" in the Ctrl+. menu');
    // Walk down to the fix with the arrow keys, as a keyboard user would.
    for (let i = 0; i < 10; i++) {
      const focused = await widget.locator('.monaco-list-row.focused').innerText().catch(() => '');
      if (focused.includes('X.T @ dout')) break;
      await wb.page.keyboard.press('ArrowDown');
    }
    await wb.page.keyboard.press('Enter');
    // The rendered line may carry an inlay hint with the inferred shape after the name.
    await wb.waitForText(wb.editor.locator('.view-lines'), /dW(: \[D, M\])? = X\.T @ dout/, 'the fixed line `dW = X.T @ dout`');
    await wb.waitForCount(wb.editor.locator('.squiggly-error'), (n) => n === 0, 'no error squiggles after the fix', 30_000);
  });

  step('typing the README\'s gate example line by line gives exactly that text (auto-indent, no stray `}`, Enter never accepts a suggestion)', async () => {
    const expected = readmeGateExample();
    await wb.quickOpen('typed.grad');
    await wb.page.locator('.part.editor .monaco-editor textarea').first().focus();
    const lines = expected.replace(/\n$/, '').split('\n');
    for (const [i, line] of lines.entries()) {
      // A user types what they see, at a fast typist's pace, and glances at where Enter put the
      // cursor before the next line (VS Code's indentation rules read the line's tokens, which a
      // machine-gun keyboard outruns on a loaded machine); the indentation is the editor's.
      await wb.page.keyboard.type(line.trimStart(), { delay: 40 });
      if (i < lines.length - 1) {
        await wb.page.keyboard.press('Enter');
        await wb.page.waitForTimeout(250);
      }
    }
    await wb.page.keyboard.press('Escape');
    // VS Code's indentation rules (language-configuration.json) place each `}`, and the server's
    // on-type formatting of `}` backs them up.
    const file = join(wb.folder, 'typed.grad');
    await wb.page.keyboard.press('Control+S');
    const deadline = Date.now() + 10_000;
    let text = '';
    do {
      await wb.page.waitForTimeout(200);
      text = readFileSync(file, 'utf8');
    } while (text === '' && Date.now() < deadline);
    assert.equal(text.trimEnd(), expected.trimEnd());
  });

  step('screenshots of the two-layer net in light and dark themes', async () => {
    await wb.quickOpen('two-layer-net.grad');
    await wb.waitForLineEnds((t) => t.length >= 5, 'the values at the line ends before the screenshot', 30_000);
    await wb.setTheme('light');
    await wb.screenshot('two-layer-net-light');
    await wb.setTheme('dark');
    await wb.waitForLineEnds((t) => t.length >= 5, 'the values at the line ends in the dark theme', 30_000);
    await wb.screenshot('two-layer-net-dark');
    await wb.setTheme('light');
  });

  step('opens the dashboard webview with the graph of the active file', async () => {
    await wb.quickOpen('two-layer-net.grad');
    await wb.runCommand('GradLens: Open Dashboard');
    await wb.waitForText(wb.page.locator('.tabs-container'), 'GradLens Dashboard', 'the dashboard editor tab');
    // The panel's header names the file and the loss; the sidebar's compact view has no header.
    const frame = await wb.webviewFrame('.header .hdr-file', 'the dashboard panel webview');
    await wb.waitForText(frame.locator('.header .hdr-file'), 'two-layer-net.grad', 'the dashboard header to name the file');
    await wb.waitForText(frame.locator('.header .hdr-root'), /loss = 2\.71/, 'the dashboard header to show the loss');
    // The computational graph is drawn (SVG) with the parameters as nodes.
    await wb.waitForText(frame.locator('.graph-svg'), 'W1', 'the graph to draw the node W1');
    await wb.screenshot('dashboard-light');
  });

  step('opens the tutorial walkthrough from the palette', async () => {
    await wb.runCommand('GradLens: Open Tutorial');
    await wb.waitForText(wb.page.locator('.gettingStartedContainer, .part.editor'), 'Learn backpropagation with GradLens', 'the GradLens walkthrough page');
    await wb.waitForText(wb.page.locator('.gettingStartedContainer, .part.editor'), 'A circuit, forward and backward', 'the first step of the walkthrough');
    await wb.screenshot('walkthrough');
  });

  step('F5 on circuit.grad stops in the editor and the Variables view; stepping moves the dashboard highlight', async () => {
    await wb.quickOpen('circuit.grad');
    await wb.runCommand('GradLens: Open Dashboard');
    const frame = await wb.webviewFrame('.header .hdr-file', 'the dashboard panel webview');
    await wb.waitForText(frame.locator('.header .hdr-file'), 'circuit.grad', 'the dashboard to show circuit.grad');
    await wb.quickOpen('circuit.grad'); // the editor has the focus again
    await wb.page.keyboard.press('F5');
    // The stop: the top stack frame is drawn in the editor, the debug toolbar is up.
    await wb.waitForCount(wb.editor.locator('.debug-top-stack-frame-line'), (n) => n > 0, 'the stopped line highlighted in the editor', 60_000);
    await wb.page.locator('.debug-toolbar').waitFor({ timeout: 20_000 });
    await wb.runCommand('View: Show Run and Debug');
    const debugView = wb.page.locator('.part.sidebar');
    await wb.waitForText(debugView, 'forward input x = -2', 'the Call Stack view to name the forward stop');
    await wb.waitForText(debugView.locator('.debug-variables'), /x\s*=?\s*-2/, 'the Variables view to show x = -2');
    const current = () => frame.locator('g.node.debug-current').getAttribute('data-name', { timeout: 5_000 }).catch(() => null);
    const waitCurrent = async (name: string, what: string) => {
      const deadline = Date.now() + 20_000;
      while ((await current()) !== name) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the dashboard marks ${await current()}`);
        await wb.page.waitForTimeout(200);
      }
    };
    await waitCurrent('x', 'the dashboard to mark x');
    const greyGrads = () => frame.locator('g.edge.debug-no-grad').count();
    const forwardGrey = await greyGrads();
    assert.ok(forwardGrey > 0, 'in the forward pass no gradient is computed yet');
    // Step over to the end of the forward pass, then into the backward pass (F10, as a user does:
    // one press per stop, the next once the Call Stack shows where the last one stopped, since
    // VS Code ignores F10 while the adapter is still answering).
    const stopName = async () => /Paused on \w+\n(.*)\n/.exec(await debugView.innerText())?.[1] ?? '';
    for (let i = 0; i < 8 && (await stopName()) !== 'backward *: f = q * z'; i++) {
      const before = await stopName();
      await wb.page.keyboard.press('F10');
      const deadline = Date.now() + 10_000;
      while ((await stopName()) === before && Date.now() < deadline) await wb.page.waitForTimeout(100);
    }
    await wb.waitForText(debugView, 'backward *: f = q * z', 'the first backward stop in the Call Stack view', 30_000);
    await waitCurrent('f', 'the dashboard highlight to move to f');
    assert.ok((await greyGrads()) < forwardGrey, 'the root has sent its gradients back');
    await wb.waitForText(debugView.locator('.debug-variables'), /dz\s*=?\s*3/, 'the gradient dz = 3 in the Variables view');
    // The values at the line ends are the debugger's, at this stop (VS Code draws them as text in
    // the line): q has the gradient f sent it, x none yet; the analysis' final values give way.
    await wb.waitForText(wb.editor.locator('.view-lines'), 'q = 3 · ∂ -4', "the debugger's value of q at its line end");
    assert.match(await wb.editorText(), /input x = -2\s+x = -2\n/, 'x has no gradient yet at this stop');
    const ends = await wb.lineEndTexts();
    assert.ok(!ends.some((c) => /: value /.test(c)), `the analysis' line-end values give way while stopped: ${ends.join(' | ')}`);
    await wb.screenshot('debug-circuit-backward');
    await wb.page.keyboard.press('Shift+F5');
    await wb.page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 20_000 });
    await wb.waitForLineEnds((t) => t.some((c) => /^q: value 3/.test(c)), "the analysis' values back at the line ends after the session");
  });
});
