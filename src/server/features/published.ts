// What the server sends by itself when an analysis (or an early phase of one) arrives: the diagnostics, the small
// `gradlens/didAnalyze` notification (values at the line ends, a summary for a status bar), the
// lens and hint refreshes the client would not ask for, and progress for runs over 300 ms.
import type { Analysis } from '../../core';
import { didAnalyzeNotification, type AnalysisSummary } from '../../shared/serverProtocol';
import type { ServerContext } from '../context';
import type { DocumentAnalysis } from '../documentAnalyses';
import { lineValues } from '../../shared/present/titles';
import { publishDiagnostics } from './diagnostics';
import type { RefreshPolicy } from './refreshPolicy';

export function summaryOf(a: Analysis): AnalysisSummary {
  const root = a.nodes.find((n) => n.name === a.root);
  const count = (s: string) => a.diagnostics.filter((d) => d.severity === s).length;
  const verdicts = (v: string[]) => a.gradchecks.filter((c) => v.includes(c.verdict)).length;
  return {
    root: a.root,
    rootValue: root?.value && root.value.length === 1 ? root.value[0] : null,
    errors: count('error'),
    warnings: count('warning'),
    checks: { fail: verdicts(['fail']), warn: verdicts(['warn']), pass: verdicts(['pass', 'ok-if-kinked']) },
    ...(a.phase ? { checking: true as const } : {}),
    totalMs: a.timings.totalMs,
  };
}

/**
 * How long the diagnostics of a values phase wait after its values. Each diagnostics list is work
 * for the window (markers re-laid out in the editor, the Problems panel): arriving with the values
 * it shares their frame and delays them (the 30-layer net's 15 dead-relu notes, new at every
 * keystroke on its seed: 168 → 149 ms keystroke → values, paired runs in code-server). A few
 * frames later they cost the values nothing; a finished analysis' come at once.
 */
export const VALUES_DIAGNOSTICS_DELAY_MS = 50;

/** Publishes every analysis; `closed(uri)` forgets what was sent for a document that closed. */
export function publishAnalyses(ctx: ServerContext, refreshes: RefreshPolicy[]): { closed(uri: string): void } {
  const diagnosticsSent = new Map<string, { version: number; key: string }>();
  /** Per document: the key of the latest shapes phase's diagnostics (parse and shape errors: they need no run), and its version. */
  const shapesSeen = new Map<string, { version: number; key: string }>();
  /**
   * Per document: the shapes-phase key of the text whose list the client holds, when it is known
   * (a version published without a shapes phase — the values lane's, a cached result — leaves it
   * unknown, and the next shapes phase is sent).
   */
  const clientShapes = new Map<string, string | undefined>();
  /** Per document: a shapes phase not sent (its list was the client's), sent after all if its run fails. */
  const heldShapes = new Map<string, DocumentAnalysis>();
  const send = (r: DocumentAnalysis) => {
    const seen = shapesSeen.get(r.uri);
    clientShapes.set(r.uri, seen?.version === r.version ? seen.key : undefined);
    publishDiagnostics(ctx, r, diagnosticsSent);
  };
  const waiting = new Map<string, NodeJS.Timeout>();
  const dropWaiting = (uri: string) => {
    clearTimeout(waiting.get(uri));
    waiting.delete(uri);
  };
  const diagnostics = (r: DocumentAnalysis, delayMs: number) => {
    dropWaiting(r.uri);
    heldShapes.delete(r.uri);
    if (delayMs <= 0) return send(r);
    waiting.set(
      r.uri,
      setTimeout(() => {
        waiting.delete(r.uri);
        send(r);
      }, delayMs),
    );
  };
  ctx.analyses.onDidAnalyze((r: DocumentAnalysis) => {
    // Shapes alone carry no values: the client keeps the older ones until the values phase comes,
    // so a shapes phase sends it nothing but its diagnostics — and those only when they differ
    // from the previous shapes phase's. Its list lacks what a run finds (health notes, failed
    // checks): sent at every keystroke, it cleared those squiggles until the values phase brought
    // them back, a flicker and twice the window's work in the keystroke's way to the values.
    if (r.analysis.phase === 'shapes') {
      const key = JSON.stringify(r.analysis.diagnostics.map((d) => [d.severity, d.code, d.range, d.message]));
      shapesSeen.set(r.uri, { version: r.version, key });
      if (clientShapes.get(r.uri) !== key) return diagnostics(r, 0);
      // The client's list stays. An older text's list still waiting would land on this text's lines:
      // it is dropped (the client's markers move with the edits; a list sent now would not).
      dropWaiting(r.uri);
      heldShapes.set(r.uri, r);
      return;
    }
    // The values first: the client draws them at the line ends as soon as they arrive, and its
    // main thread handles messages in order (the diagnostics' conversion and the Problems panel
    // can come after).
    void ctx.connection.sendNotification(didAnalyzeNotification, {
      uri: r.uri,
      version: r.version,
      summary: summaryOf(r.analysis),
      lineValues: ctx.settings().inlineValues ? lineValues(r.analysis, { values: ctx.settings().codeLensValues, detail: ctx.settings().codeLensDetail, shapeHints: ctx.settings().inlayHints }) : [],
      latencyMs: r.latencyMs,
      ...(r.analysis.phase ? { phase: r.analysis.phase } : {}),
    });
    // A newer phase or text replaces diagnostics still waiting.
    diagnostics(r, r.analysis.phase === 'values' ? VALUES_DIAGNOSTICS_DELAY_MS : 0);
    // Lenses and hints wait for values: shapes alone would blank them for a few milliseconds.
    for (const p of refreshes) p.onAnalysis(r);
  });
  // A run that fails after a shapes phase that was not sent: the last run's notes would stay for good.
  ctx.analyses.onDidFail((uri, version) => {
    const held = heldShapes.get(uri);
    if (held && held.version === version) diagnostics(held, 0);
  });
  showProgressOfLongRuns(ctx);
  return {
    closed: (uri) => {
      dropWaiting(uri);
      diagnosticsSent.delete(uri);
      shapesSeen.delete(uri);
      clientShapes.delete(uri);
      heldShapes.delete(uri);
    },
  };
}

/** A work-done progress in the client's status area while an analysis runs longer than 300 ms. */
function showProgressOfLongRuns(ctx: ServerContext): void {
  if (!ctx.client.workDoneProgress) return;
  let running = 0;
  let timer: NodeJS.Timeout | undefined;
  let progress: Promise<{ done(): void }> | undefined;
  ctx.analyses.onDidChangeBusy((busy) => {
    running += busy ? 1 : -1;
    if (running > 0 && !timer && !progress) {
      timer = setTimeout(() => {
        timer = undefined;
        if (running <= 0) return;
        progress = ctx.connection.window.createWorkDoneProgress().then((p) => {
          p.begin('GradLens: analysing');
          return p;
        });
        progress.catch(() => (progress = undefined));
      }, 300);
    } else if (running <= 0) {
      if (timer) clearTimeout(timer);
      timer = undefined;
      void progress?.then((p) => p.done());
      progress = undefined;
    }
  });
}
