/**
 * The samples on the page: the latest one with its caption (step, temperature,
 * seed, prime, origin), a sample error, and the earlier samples of the model,
 * newest first, each under its step. Renders what ui-state.ts keeps.
 */
import type { Sample } from './protocol.ts';
import type { ViewState } from './ui-state.ts';

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The page has no #${id}`);
  return found as T;
}

function setText(target: HTMLElement, text: string): void {
  if (target.textContent !== text) target.textContent = text;
}

const caption = (sample: Sample) =>
  `Step ${sample.step}, temperature ${sample.temperature}, seed ${sample.seed}, primed with ${JSON.stringify(sample.prime)} (${sample.origin}).`;

/** Tells samples apart, to redraw the history only when it changed. */
const keyOf = (sample: Sample | undefined) => (sample ? `${sample.step}/${sample.seed}/${sample.temperature}/${sample.origin}/${sample.text.length}` : '');

export class SampleView {
  private readonly sample = element('sample');
  private readonly meta = element('sample-meta');
  private readonly error = element('sample-error');
  private readonly historyBox = element<HTMLDetailsElement>('history-box');
  private readonly historyCount = element('history-count');
  private readonly history = element('sample-history');
  /** What the caption says before there is a sample (as the page is written). */
  private readonly noSampleNote = this.meta.textContent ?? '';

  render(state: Pick<ViewState, 'sample' | 'samples' | 'sampleError'>): void {
    const sample = state.sample;
    setText(this.sample, sample ? sample.prime + sample.text : '');
    if (sample) {
      Object.assign(this.sample.dataset, {
        origin: sample.origin,
        step: String(sample.step),
        seed: String(sample.seed),
        temperature: String(sample.temperature),
        prime: sample.prime,
      });
      setText(this.meta, caption(sample));
    } else {
      for (const key of ['origin', 'step', 'seed', 'temperature', 'prime']) delete this.sample.dataset[key];
      setText(this.meta, this.noSampleNote);
    }
    this.error.hidden = state.sampleError === undefined;
    setText(this.error, state.sampleError ?? '');
    this.renderHistory(state.samples.slice(1));
  }

  private renderHistory(earlier: Sample[]): void {
    this.historyBox.hidden = earlier.length === 0;
    setText(this.historyCount, String(earlier.length));
    if (this.history.childElementCount === earlier.length && this.history.firstElementChild?.getAttribute('data-key') === keyOf(earlier[0])) return;
    this.history.replaceChildren(
      ...earlier.map((old) => {
        const item = document.createElement('li');
        item.dataset.key = keyOf(old);
        item.dataset.step = String(old.step);
        const badge = document.createElement('span');
        badge.className = 'badge';
        badge.textContent = `step ${old.step} `;
        const meta = document.createElement('span');
        meta.textContent = `· T ${old.temperature} · seed ${old.seed} · ${old.origin}`;
        badge.append(meta);
        const text = document.createElement('pre');
        text.textContent = old.prime + old.text;
        item.append(badge, text);
        return item;
      }),
    );
  }
}
