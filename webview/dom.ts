// The only way the webview builds DOM: elements and text nodes, never HTML strings, so names and
// messages from a .grad file (which may look like markup) always render as text.

export type AttrValue = string | number | boolean | null | undefined;
export type Attrs = Record<string, AttrValue>;
export type Child = Node | string | number | null | undefined | false;

const SVG_NS = 'http://www.w3.org/2000/svg';

function setAttrs(el: Element, attrs: Attrs | undefined): void {
  if (!attrs) return;
  for (const [name, value] of Object.entries(attrs)) {
    // Handlers and style attributes are refused: the CSP forbids both, and listeners go through `on`.
    if (/^on/i.test(name) || name.toLowerCase() === 'style') throw new Error(`dom: attribute ${name} is not allowed`);
    if (value === null || value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : String(value));
  }
}

function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** An HTML element: `h('button', { class: 'x', type: 'button' }, 'Fit')`. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** An SVG element. */
export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs?: Attrs, ...children: Child[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** Replaces an element's children. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

export function on<K extends keyof HTMLElementEventMap>(el: EventTarget, type: K, fn: (ev: HTMLElementEventMap[K]) => void, opts?: AddEventListenerOptions): () => void {
  const listener = fn as EventListener;
  el.addEventListener(type, listener, opts);
  return () => el.removeEventListener(type, listener, opts);
}

export function show(el: HTMLElement | SVGElement, visible: boolean): void {
  el.toggleAttribute('hidden', !visible);
}
