/**
 * What the demo writes into the metadata of the files it saves (Save's
 * safetensors weights, the worker's in-memory checkpoints) and reads back: the
 * vocabulary, in the library's format (CharacterVocabulary.toMetadata), and the
 * demo's own settings as JSON. CPU only.
 */
import { CharacterVocabulary, InvalidArgumentError } from '../src/index.ts';
import type { TaskKind } from './protocol.ts';

/** The metadata key of the demo's own settings (JSON). */
export const METADATA_DEMO = 'webgpu_rnn_demo';

/** The demo's own metadata, stored as JSON under METADATA_DEMO. */
export interface DemoMetadata {
  task: TaskKind;
  defaultPrime: string;
  sampleLength: number;
  timeSteps: number;
  batchSize: number;
  learningRate: number;
  steps: number;
  /** Copy task: symbols remembered. */
  copySymbols?: number;
}

/** The metadata of a saved model: its vocabulary and the demo's settings. */
export function modelFileMetadata(vocabulary: CharacterVocabulary, demo: DemoMetadata): Record<string, string> {
  return { ...vocabulary.toMetadata(), [METADATA_DEMO]: JSON.stringify(demo) };
}

/**
 * The vocabulary of a model file: the library's format (a JSON array of the
 * characters, as CharacterVocabulary.toMetadata and the CLI write it) or the
 * format earlier versions of the demo wrote (the characters as one string).
 * The two cannot be confused: a JSON array of one or more strings has at least
 * two '"', which the characters of a vocabulary, all distinct, never do.
 * Undefined when the file has no vocabulary.
 */
export function vocabularyFromMetadata(metadata: Record<string, string>): CharacterVocabulary | undefined {
  const stored = metadata[CharacterVocabulary.METADATA_KEY];
  if (stored === undefined) return undefined;
  try {
    return CharacterVocabulary.fromMetadata(metadata);
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
  }
  try {
    return new CharacterVocabulary(Array.from(stored));
  } catch {
    throw new InvalidArgumentError(
      `metadata.${CharacterVocabulary.METADATA_KEY}`,
      'is neither a JSON array of distinct characters nor a string of distinct characters',
    );
  }
}

const positive = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value > 0;

/** The demo's settings stored in a file, each kept only where it has the right type; {} when absent or not JSON. */
export function readDemoMetadata(text: string | undefined): Partial<DemoMetadata> {
  if (!text) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  const saved = parsed as Record<string, unknown>;
  const demo: Partial<DemoMetadata> = {};
  if (saved.task === 'text' || saved.task === 'copy-memory') demo.task = saved.task;
  if (typeof saved.defaultPrime === 'string' && saved.defaultPrime !== '') demo.defaultPrime = saved.defaultPrime;
  for (const key of ['sampleLength', 'timeSteps', 'batchSize', 'learningRate', 'copySymbols'] as const) {
    const value = saved[key];
    if (positive(value)) demo[key] = value;
  }
  if (typeof saved.steps === 'number' && Number.isInteger(saved.steps) && saved.steps >= 0) demo.steps = saved.steps;
  return demo;
}
