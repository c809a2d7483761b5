// Messages from the extension are checked for their shape before use: a malformed one is dropped
// instead of breaking the page halfway through a render.
import { isThresholds } from '../src/core/browser';
import { parseDebugMessage, type ToWebview } from '../src/shared/webviewProtocol';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isPosition = (v: unknown) => isObject(v) && Number.isInteger(v.line) && Number.isInteger(v.character);
const isRange = (v: unknown) => isObject(v) && isPosition(v.start) && isPosition(v.end);
const isStats = (v: unknown) => v === null || (isObject(v) && isNumArray(v.histogram) && typeof v.min === 'number' && typeof v.max === 'number' && typeof v.count === 'number');
const isTask = (v: unknown) => v === 'landscape' || v === 'training';
const isNumArray = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'number' || x === null);

export function parseToWebview(msg: unknown): ToWebview | null {
  if (!isObject(msg) || typeof msg.type !== 'string') return null;
  switch (msg.type) {
    case 'update': {
      const st = msg.state;
      if (!isObject(st) || typeof st.uri !== 'string' || typeof st.version !== 'number' || !isObject(st.analysis) || !isThresholds(st.thresholds)) return null;
      const a = st.analysis;
      if (!Array.isArray(a.nodes) || !Array.isArray(a.diagnostics) || !Array.isArray(a.gradchecks)) return null;
      if (a.graphView !== null && !(isObject(a.graphView) && Array.isArray(a.graphView.nodes) && Array.isArray(a.graphView.edges))) return null;
      if (a.health !== undefined && !Array.isArray(a.health)) return null;
      return msg as ToWebview;
    }
    case 'empty':
      return typeof msg.reason === 'string' ? (msg as ToWebview) : null;
    case 'focus':
      return typeof msg.name === 'string' ? (msg as ToWebview) : null;
    case 'cursor':
      return isRange(msg.range) ? (msg as ToWebview) : null;
    case 'progress':
      return isTask(msg.task) && typeof msg.done === 'number' && typeof msg.total === 'number' ? (msg as ToWebview) : null;
    case 'landscape': {
      const r = msg.result;
      if (!isObject(r) || !isNumArray(r.alphas) || !isNumArray(r.betas) || !Array.isArray(r.losses) || !r.losses.every(isNumArray)) return null;
      return msg as ToWebview;
    }
    case 'training': {
      const r = msg.result;
      if (!isObject(r) || !isNumArray(r.losses) || !isObject(r.gradNorms) || !isObject(r.updateRatios) || typeof msg.final !== 'boolean') return null;
      return msg as ToWebview;
    }
    case 'taskError':
      return isTask(msg.task) && typeof msg.message === 'string' ? (msg as ToWebview) : null;
    case 'taskCancelled':
    case 'showTask':
      return isTask(msg.task) ? (msg as ToWebview) : null;
    case 'sweep':
      return msg.sweep === null || (isObject(msg.sweep) && Array.isArray(msg.sweep.points)) ? (msg as ToWebview) : null;
    case 'debug':
      return parseDebugMessage(msg);
    case 'tensor': {
      const d = msg.detail;
      if (typeof msg.uri !== 'string' || typeof msg.version !== 'number' || typeof msg.name !== 'string') return null;
      if (d !== null && !(isObject(d) && d.name === msg.name && isNumArray(d.shape) && typeof d.count === 'number' && (d.value === null || isNumArray(d.value)) && (d.grad === null || isNumArray(d.grad)) && isStats(d.valueStats) && isStats(d.gradStats))) return null;
      return msg as ToWebview;
    }
    default:
      return null;
  }
}
