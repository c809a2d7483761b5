// The graph's search box: typing selects the best match by name, Enter the next one, Escape
// clears; every match is marked. Folded nodes are found too (through the box that holds them).
import type { ViewNode } from '../../src/core/browser';
import { h, on } from '../dom';
import { findNodes } from './find';

export interface SearchHost {
  /** Every node of the file, folded or not. */
  nodes(): readonly ViewNode[];
  /** Marks these nodes' boxes as matches (none: clear the marks). */
  mark(nodes: readonly ViewNode[]): void;
  select(node: ViewNode): void;
}

export class GraphSearch {
  readonly el: HTMLElement;
  private readonly input: HTMLInputElement;
  private readonly count: HTMLElement;
  private matches: ViewNode[] = [];
  private index = -1;

  constructor(private readonly host: SearchHost) {
    this.input = h('input', { type: 'search', class: 'graph-search-input', placeholder: 'Find node', 'aria-label': 'Find a node by name (Enter: next match)', spellcheck: 'false' });
    this.count = h('span', { class: 'graph-search-count muted', 'aria-live': 'polite' });
    this.el = h('span', { class: 'graph-search' }, this.input, this.count);
    on(this.input, 'input', () => this.run(false));
    on(this.input, 'keydown', (ev) => {
      if (ev.key === 'Enter') {
        ev.preventDefault();
        this.run(true);
      } else if (ev.key === 'Escape') {
        this.input.value = '';
        this.run(false);
      }
    });
  }

  private run(next: boolean): void {
    const q = this.input.value;
    if (!next) {
      this.matches = findNodes(this.host.nodes(), q);
      this.index = -1;
    }
    this.host.mark([]);
    if (!q.trim()) {
      this.count.textContent = '';
      return;
    }
    if (this.matches.length === 0) {
      this.count.textContent = 'no match';
      return;
    }
    this.index = (this.index + 1) % this.matches.length;
    this.count.textContent = `${this.index + 1}/${this.matches.length}`;
    this.host.mark(this.matches);
    this.host.select(this.matches[this.index]);
  }
}
