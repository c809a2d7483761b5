// Accessible tabs (WAI-ARIA tabs pattern): arrow keys, Home and End move between tabs; only the
// active tab is in the Tab order; panels are labelled by their tab.
import { h, on } from '../dom';

export interface TabSpec<T extends string> {
  id: T;
  label: string;
  panel: HTMLElement;
}

export class Tabs<T extends string> {
  readonly list: HTMLElement;
  readonly panels: HTMLElement;
  private readonly buttons = new Map<T, HTMLButtonElement>();
  private current: T;

  constructor(
    private readonly specs: TabSpec<T>[],
    initial: T,
    private readonly onChange: (id: T) => void,
  ) {
    this.list = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Dashboard sections' });
    this.panels = h('div', { class: 'tab-panels' });
    for (const spec of specs) {
      const b = h('button', { type: 'button', class: 'tab', role: 'tab', id: `tab-${spec.id}`, 'aria-controls': `panel-${spec.id}`, 'data-tab': spec.id }, spec.label);
      on(b, 'click', () => this.select(spec.id, true));
      on(b, 'keydown', (ev) => this.onKey(ev, spec.id));
      this.buttons.set(spec.id, b);
      this.list.appendChild(b);
      spec.panel.id = `panel-${spec.id}`;
      spec.panel.setAttribute('role', 'tabpanel');
      spec.panel.setAttribute('aria-labelledby', `tab-${spec.id}`);
      spec.panel.classList.add('tab-panel');
      this.panels.appendChild(spec.panel);
    }
    this.current = specs.some((s) => s.id === initial) ? initial : specs[0].id;
    this.apply();
  }

  get active(): T {
    return this.current;
  }

  select(id: T, focus = false): void {
    const changed = id !== this.current;
    this.current = id;
    this.apply();
    if (focus) this.buttons.get(id)?.focus();
    if (changed) this.onChange(id);
  }

  private apply(): void {
    for (const spec of this.specs) {
      const active = spec.id === this.current;
      const b = this.buttons.get(spec.id);
      b?.setAttribute('aria-selected', String(active));
      b?.setAttribute('tabindex', active ? '0' : '-1');
      spec.panel.toggleAttribute('hidden', !active);
    }
  }

  private onKey(ev: KeyboardEvent, id: T): void {
    const ids = this.specs.map((s) => s.id);
    const i = ids.indexOf(id);
    let next: T | null = null;
    if (ev.key === 'ArrowRight') next = ids[(i + 1) % ids.length];
    else if (ev.key === 'ArrowLeft') next = ids[(i - 1 + ids.length) % ids.length];
    else if (ev.key === 'Home') next = ids[0];
    else if (ev.key === 'End') next = ids[ids.length - 1];
    if (next === null) return;
    ev.preventDefault();
    this.select(next, true);
  }
}
