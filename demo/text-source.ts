/**
 * The "What to learn" part of the page: the ready corpora (corpora.ts) as
 * cards with their sizes, the copy-memory task, and the user's own text from a
 * file, a paste, a drop or a URL. It fills the text box and tells the page what
 * to train on; errors go to `onError` in plain words (plain-errors.ts).
 */
import { CORPORA, corpusById, type CorpusId } from './corpora.ts';
import { textReadError, type PlainError } from './plain-errors.ts';
import type { DataSource } from './protocol.ts';

const COPY_BLURB = 'Generated sequences that test memory: can the network recall symbols it read many steps ago?';
const CUSTOM_BLURB = 'Any text: open or drop a file, paste into the box, or fetch a plain-text URL (a public-domain book, say).';

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The page has no #${id}`);
  return found as T;
}

const count = (n: number) => n.toLocaleString('en-US');

/** "2,841 characters, 43 distinct" or, for long texts, "318k characters, 97 distinct". */
export function describeText(text: string): string {
  let length = 0;
  const distinct = new Set<string>();
  for (const character of text) {
    length++;
    distinct.add(character);
  }
  const size = length >= 10_000 ? `${Math.round(length / 1000)}k` : count(length);
  return `${size} characters, ${distinct.size} distinct`;
}

export class TextSource {
  readonly text = element<HTMLTextAreaElement>('text');
  private readonly textBlock = element('text-block');
  private readonly copyBlock = element('copy-block');
  private readonly copySymbols = element<HTMLSelectElement>('copy-symbols');
  private readonly textFile = element<HTMLInputElement>('text-file');
  private readonly textInfo = element('text-info');
  private readonly blurb = element('corpus-blurb');
  private readonly urlForm = element<HTMLFormElement>('url-form');
  private readonly url = element<HTMLInputElement>('text-url');
  private readonly fetchButton = element<HTMLButtonElement>('fetch-url');
  private readonly radios = [...document.querySelectorAll<HTMLInputElement>('input[name="corpus"]')];
  /** Loads in flight: a later choice wins over an earlier one that finishes after it. */
  private generation = 0;

  /**
   * `onChange`: the source kind changed (the page suggests a sequence length);
   * `onError`: a file or URL could not be read.
   */
  constructor(
    private readonly onChange: (kind: DataSource['kind']) => void,
    private readonly onError: (error: PlainError) => void,
  ) {
    for (const radio of this.radios) radio.addEventListener('change', () => radio.checked && this.choose(radio.value));
    this.text.addEventListener('input', () => {
      this.select('custom');
      this.showInfo();
    });
    this.textFile.addEventListener('change', () => {
      const file = this.textFile.files?.[0];
      this.textFile.value = '';
      if (file) this.readFile(file);
    });
    this.text.addEventListener('dragover', (event) => {
      event.preventDefault();
      this.text.classList.add('drop-target');
    });
    this.text.addEventListener('dragleave', () => this.text.classList.remove('drop-target'));
    this.text.addEventListener('drop', (event) => {
      this.text.classList.remove('drop-target');
      const file = event.dataTransfer?.files[0];
      if (!file || this.text.disabled) return;
      event.preventDefault();
      this.readFile(file);
    });
    this.urlForm.addEventListener('submit', (event) => {
      event.preventDefault();
      this.fetchUrl(this.url.value.trim());
    });
    // Sizes on the cards; the source code is fetched in the background for its size.
    for (const corpus of CORPORA) corpus.load().then((text) => this.setSize(corpus.id, describeText(text)), () => this.setSize(corpus.id, 'unavailable'));
  }

  /** The checked card's value. */
  get kind(): string {
    return this.radios.find((radio) => radio.checked)?.value ?? 'essay';
  }

  /** What to train on now. */
  current(): DataSource {
    return this.kind === 'copy-memory' ? { kind: 'copy-memory', symbols: Number(this.copySymbols.value) } : { kind: 'text', text: this.text.value };
  }

  /** Starts on the essay. */
  async start(): Promise<void> {
    await this.choose('essay');
  }

  /** Locks or unlocks every control (not while training). */
  setEnabled(enabled: boolean): void {
    for (const input of [...this.radios, this.copySymbols, this.text, this.textFile, this.url, this.fetchButton]) input.disabled = !enabled;
  }

  /** Shows a loaded model's task: the copy task's card, or the text as it is. */
  showTask(task: DataSource['kind'], copySymbols?: number): void {
    if (task === 'copy-memory') {
      if (copySymbols) this.copySymbols.value = String(copySymbols);
      this.select('copy-memory');
    } else if (this.kind === 'copy-memory') {
      this.select('custom');
    }
    this.showKind();
  }

  private select(value: string): void {
    for (const radio of this.radios) radio.checked = radio.value === value;
  }

  private setSize(id: CorpusId | 'custom', text: string): void {
    const label = document.querySelector<HTMLElement>(`[data-size-for="${id}"]`);
    if (label) label.textContent = text;
  }

  private showInfo(): void {
    this.textInfo.textContent = describeText(this.text.value);
  }

  private showKind(): void {
    const copy = this.kind === 'copy-memory';
    this.textBlock.hidden = copy;
    this.copyBlock.hidden = !copy;
    this.blurb.textContent = copy ? COPY_BLURB : (corpusById(this.kind)?.blurb ?? CUSTOM_BLURB);
  }

  private async choose(value: string): Promise<void> {
    const generation = ++this.generation;
    this.select(value);
    this.showKind();
    this.onChange(value === 'copy-memory' ? 'copy-memory' : 'text');
    const corpus = corpusById(value);
    if (!corpus) return;
    const text = await corpus.load();
    if (generation !== this.generation) return;
    this.text.value = text;
    this.showInfo();
  }

  /** Puts a text of the user's into the box and selects "Your own text". */
  private useText(text: string, from: string): void {
    this.generation++;
    this.text.value = text;
    this.select('custom');
    this.showKind();
    this.onChange('text');
    this.showInfo();
    this.setSize('custom', `${describeText(text)} · ${from}`);
  }

  private readFile(file: File): void {
    file.text().then(
      (text) => this.useText(text, file.name),
      (error: unknown) => this.onError(textReadError(file.name, error)),
    );
  }

  private async fetchUrl(address: string): Promise<void> {
    if (!address) return;
    this.fetchButton.disabled = true;
    try {
      const response = await fetch(address);
      if (!response.ok) throw new Error(`the server answered ${response.status} ${response.statusText}.`);
      const text = await response.text();
      if (text.trim() === '') throw new Error('it is empty.');
      this.useText(text, new URL(address, location.href).pathname.split('/').pop() || address);
    } catch (error) {
      this.onError(textReadError(address, error));
    } finally {
      this.fetchButton.disabled = this.text.disabled;
    }
  }
}
