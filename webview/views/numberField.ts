// A labelled number input checked against the protocol's limits, with the reason when it is not.
import { h, on } from '../dom';

export class NumberField {
  readonly el: HTMLElement;
  readonly input: HTMLInputElement;
  private readonly hint: HTMLElement;

  constructor(
    id: string,
    label: string,
    value: number,
    private readonly limits: { min: number; max: number; integer?: boolean },
    onChange: () => void,
  ) {
    this.input = h('input', { id, type: 'number', value, min: limits.min, max: limits.max, step: limits.integer ? 1 : 'any', class: 'number-input' });
    this.hint = h('span', { class: 'field-hint status-error', 'aria-live': 'polite' });
    this.el = h('label', { class: 'field', for: id }, h('span', { class: 'field-label' }, label), this.input, this.hint);
    on(this.input, 'input', () => {
      this.validate();
      onChange();
    });
  }

  /** The value, or null (and a hint) when it is outside the limits. */
  validate(): number | null {
    const v = Number(this.input.value);
    const { min, max, integer } = this.limits;
    const ok = this.input.value.trim() !== '' && Number.isFinite(v) && v >= min && v <= max && (!integer || Number.isInteger(v));
    this.hint.textContent = ok ? '' : `${integer ? 'a whole number' : 'a number'} from ${min} to ${max}`;
    this.input.setAttribute('aria-invalid', String(!ok));
    return ok ? v : null;
  }
}
