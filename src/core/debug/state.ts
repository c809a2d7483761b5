// The values and gradients at a point of the trace, moved by replaying events forwards (their
// `after` tensors) or backwards (their `before`): a step costs the events between two stops, and
// a step back restores exactly the tensors that were there.
import type { Tensor } from '../tensor/tensor';
import type { TraceEvent } from './types';

export class TraceState {
  readonly values: (Tensor | null)[];
  readonly grads: (Tensor | null)[];
  /** Events applied. */
  private applied = 0;

  constructor(
    private readonly events: readonly TraceEvent[],
    nodes: number,
  ) {
    this.values = new Array<Tensor | null>(nodes).fill(null);
    this.grads = new Array<Tensor | null>(nodes).fill(null);
  }

  get position(): number {
    return this.applied;
  }

  moveTo(position: number): void {
    while (this.applied < position) {
      for (const w of this.events[this.applied].writes) (w.grad ? this.grads : this.values)[w.node] = w.after;
      this.applied++;
    }
    while (this.applied > position) {
      this.applied--;
      const writes = this.events[this.applied].writes;
      for (let i = writes.length - 1; i >= 0; i--) {
        const w = writes[i];
        (w.grad ? this.grads : this.values)[w.node] = w.before;
      }
    }
  }
}
