/**
 * What the demo writes into the metadata of the files it saves (Save's
 * safetensors weights, the worker's in-memory checkpoints) and reads back: the
 * vocabulary, in the library's format (CharacterVocabulary.toMetadata), and the
 * demo's own settings as JSON. CPU only.
 */
import { CharacterVocabulary, InvalidArgumentError } from '../src/index.ts';
import type { LossHistory, LossPoint, TaskKind } from './protocol.ts';

/** The metadata key of the demo's own settings (JSON). */
export const METADATA_DEMO = 'webgpu_rnn_demo';
/** The metadata key of a checkpoint's loss history (JSON: { training, validation }, each a list of [step, loss]). */
export const METADATA_HISTORY = 'webgpu_rnn_demo_history';
/** Points per curve kept in a file; longer curves are thinned evenly (the first and last points stay). */
export const MAX_HISTORY_POINTS = 4000;

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

/** The metadata of a saved model: its vocabulary, the demo's settings, and for checkpoints the loss history. */
export function modelFileMetadata(vocabulary: CharacterVocabulary, demo: DemoMetadata, history?: LossHistory): Record<string, string> {
  return {
    ...vocabulary.toMetadata(),
    [METADATA_DEMO]: JSON.stringify(demo),
    ...(history ? { [METADATA_HISTORY]: JSON.stringify({ training: packCurve(history.training), validation: packCurve(history.validation) }) } : {}),
  };
}

/** At most MAX_HISTORY_POINTS points as [step, loss] pairs: every k-th point, and the last. */
function packCurve(points: readonly LossPoint[]): [number, number][] {
  const stride = Math.ceil(points.length / MAX_HISTORY_POINTS);
  const kept = stride <= 1 ? points : points.filter((_, i) => i % stride === 0 || i === points.length - 1);
  return kept.map((point) => [point.step, point.loss]);
}

function unpackCurve(value: unknown): LossPoint[] {
  if (!Array.isArray(value)) return [];
  const points: LossPoint[] = [];
  for (const pair of value) {
    if (!Array.isArray(pair) || pair.length !== 2) continue;
    const [step, loss] = pair as unknown[];
    if (typeof step === 'number' && Number.isInteger(step) && step >= 0 && typeof loss === 'number' && Number.isFinite(loss)) points.push({ step, loss });
  }
  return points;
}

/** A checkpoint's loss history; empty curves where it has none or it is not readable. */
export function readHistory(text: string | undefined): LossHistory {
  if (!text) return { training: [], validation: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { training: [], validation: [] };
  }
  const record = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  return { training: unpackCurve(record.training), validation: unpackCurve(record.validation) };
}

/** The points of a history up to step `step`: what a model rewound to that step keeps. */
export function historyUpTo(history: LossHistory, step: number): LossHistory {
  const kept = (point: LossPoint) => point.step <= step;
  return { training: history.training.filter(kept), validation: history.validation.filter(kept) };
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
