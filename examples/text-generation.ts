/**
 * Text generation with webgpu-rnn in a web app: fetch (or pick) a trained
 * .safetensors file, rebuild the model from it (RnnModel.fromWeights infers the
 * architecture), take the vocabulary from its metadata, and generate on the GPU
 * (sampleText: all steps in one submission, the tokens in one readback).
 */
import { CharacterVocabulary, createGpuContext, decodeSafetensors, type GpuContext, RnnModel, sampleText } from 'webgpu-rnn';
import modelUrl from './text-model.safetensors?url';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $('status');
const generateButton = $<HTMLButtonElement>('generate');
let loaded: { model: RnnModel; vocabulary: CharacterVocabulary; name: string } | undefined;

async function load(context: GpuContext, bytes: Uint8Array, name: string): Promise<void> {
  // The vocabulary first: a file without one cannot encode a prime or decode tokens.
  const vocabulary = CharacterVocabulary.fromMetadata(decodeSafetensors(bytes).metadata);
  const model = await RnnModel.fromWeights(context, bytes);
  loaded?.model.dispose();
  loaded = { model, vocabulary, name };
  const { cell, layers, hiddenSize } = model.config;
  status.textContent = `${name}: ${cell.toUpperCase()}, ${layers} × ${hiddenSize}, ${vocabulary.size} characters, on ${context.description}`;
  generateButton.disabled = false;
}

async function generate(): Promise<void> {
  if (!loaded) return;
  const { model, vocabulary } = loaded;
  const prime = $<HTMLInputElement>('prime').value || vocabulary.characters[0];
  const options = {
    prime,
    length: Number($<HTMLInputElement>('length').value),
    temperature: Number($<HTMLInputElement>('temperature').value),
    seed: Number($<HTMLInputElement>('seed').value),
  };
  const started = performance.now();
  const text = await sampleText(model, vocabulary, options);
  const milliseconds = performance.now() - started;
  $('output').textContent = prime + text;
  document.body.dataset.state = 'done';
  Object.assign(window, { exampleResult: { prime, text, milliseconds, vocabulary: vocabulary.characters } });
}

/** Runs `action`; a failure is shown on the page (a bad file leaves the loaded model as it was). */
function guarded(action: () => Promise<void>): void {
  generateButton.disabled = true;
  action()
    .catch((error: unknown) => {
      status.textContent = `failed: ${error instanceof Error ? error.message : String(error)}`;
      console.warn(error);
    })
    .finally(() => (generateButton.disabled = !loaded));
}

async function main(): Promise<void> {
  const context = await createGpuContext();
  const response = await fetch(modelUrl);
  if (!response.ok) throw new Error(`could not fetch the bundled model: ${response.status}`);
  await load(context, new Uint8Array(await response.arrayBuffer()), 'text-model.safetensors');
  document.body.dataset.state = 'ready';
  generateButton.addEventListener('click', () => guarded(generate));
  $<HTMLInputElement>('model-file').addEventListener('change', (event) => {
    const file = (event.target as HTMLInputElement).files?.[0];
    if (file) guarded(async () => load(context, new Uint8Array(await file.arrayBuffer()), file.name));
  });
  guarded(generate);
}

main().catch((error: unknown) => {
  status.textContent = `failed: ${String(error)}`;
  document.body.dataset.state = 'error';
  console.error(error);
});
