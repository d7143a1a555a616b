/**
 * Token generation on the GPU: each step runs one position forward through the
 * 1 × 1 plan, draws the next token from softmax(logits / temperature) over the topK
 * most likely (sample_token.wgsl) and feeds it back as the next input; the states
 * go from step to step through a state stream, with the same copies a training
 * step uses. All steps are one submission and the tokens one readback.
 */
import { readWords } from '../device/buffers.ts';
import { DispatchPlan } from '../kernels/dispatch-plan.ts';
import type { KernelSet } from '../kernels/kernel-set.ts';
import { InvalidArgumentError, requireIndices, requirePositiveInteger } from '../validation.ts';
import { checkGenerateOptions, checkTemperature } from './options.ts';
import { checkTopKSelection, SIZE_LIMITS } from './size-limits.ts';
import type { ResolvedConfig } from './config.ts';
import { pcgHash } from './dropout.ts';
import type { SequencePlan } from './sequence-plan.ts';
import type { StreamStates } from './state-streams.ts';

export interface GenerateOptions {
  /** The tokens to start from (at least one). */
  primeTokens: ArrayLike<number>;
  /** Tokens to draw. */
  length: number;
  /** Softmax temperature, default 1. */
  temperature?: number;
  /** Draw among the k most likely tokens only; default all. */
  topK?: number;
  /** The sampler's seed (an integer ≥ 0), default 0. */
  seed?: number;
  /** The state stream the generation leaves its final states on, default 'generation'. */
  stream?: string;
}

/** A checked generation request. */
export interface Generation {
  primeIds: Uint32Array;
  length: number;
  temperature: number;
  topK: number;
  seed: number;
}

/** Checks a generation request against the model; throws an InvalidArgumentError naming what is wrong. */
export function checkGeneration(config: Readonly<ResolvedConfig>, options: GenerateOptions): Generation {
  checkGenerateOptions(options);
  const { inputKind, inputSize: V, outputSize } = config;
  if (inputKind !== 'tokens' || outputSize !== V) {
    throw new InvalidArgumentError('generate', `needs a token model whose outputs are its tokens; this model takes ${inputKind === 'tokens' ? `${V} token ids` : `dense inputs of size ${V}`} and predicts ${outputSize} classes`);
  }
  const length = requirePositiveInteger('options.length', options.length, SIZE_LIMITS.generateLength);
  const temperature = options.temperature === undefined ? 1 : checkTemperature('options.temperature', options.temperature);
  const topK = Math.min(V, options.topK === undefined ? V : requirePositiveInteger('options.topK', options.topK));
  checkTopKSelection(V, topK);
  const seed = options.seed ?? 0; // checked by checkGenerateOptions
  const prime = options.primeTokens;
  if (!prime || prime.length === 0) throw new InvalidArgumentError('options.primeTokens', 'got none, expected at least one token to start from');
  // All but the last prime token run as one sequence of time steps.
  if (prime.length - 1 > SIZE_LIMITS.timeSteps) {
    throw new InvalidArgumentError('options.primeTokens', `has ${prime.length} tokens, expected at most ${SIZE_LIMITS.timeSteps + 1} (the prime runs as one sequence of at most ${SIZE_LIMITS.timeSteps} time steps before its last token)`);
  }
  const primeIds = requireIndices('options.primeTokens', prime, prime.length, 'any length', V, 'the vocabulary');
  return { primeIds, length, temperature, topK, seed };
}

/**
 * Draws `request.length` tokens with the 1 × 1 plan `step`, starting from the last prime
 * token and the states on `stream` (zero when `fromZero`: a one-token prime), which
 * holds the final states afterwards.
 */
export async function generateTokens(
  kernels: KernelSet,
  step: SequencePlan,
  stream: StreamStates,
  request: Generation,
  options: { fromZero: boolean; dropoutLayers: number },
): Promise<Uint32Array> {
  const device = kernels.device;
  const { length } = request;
  const V = step.logitsClasses;
  // The last prime token is the first step's input; evaluation uses every unit (p = 0).
  const dropout = options.dropoutLayers > 0 ? { keys: new Array(options.dropoutLayers).fill(0), probability: 0 } : undefined;
  step.setRun({ timeSteps: 1, batchSize: 1, tokens: request.primeIds.subarray(-1), countedTargets: 0 }, ['forward'], { dropout });
  const generated = device.createBuffer({ label: 'generated tokens', size: (length + 1) * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  const sampler = new DispatchPlan(device, 'token sampling');
  try {
    kernels.sampleToken(
      sampler,
      { logits: { buffer: step.logits, offset: 0 }, classes: V, nextInput: step.inputs, generated, topK: request.topK, key: pcgHash(request.seed), temperature: request.temperature },
      'draw the next token',
    );
    sampler.build();
    const encoder = device.createCommandEncoder({ label: `generate ${length} tokens` });
    for (let i = 0; i < length; i++) {
      step.record(encoder, {
        parts: ['forward'],
        initialStates: i === 0 && options.fromZero ? { from: 'zero' } : { from: 'carry', stream },
        finalStates: stream,
        alsoRecord: (recorder) => sampler.encode(recorder),
        label: `generation step ${i}`,
      });
    }
    device.queue.submit([encoder.finish()]);
    return new Uint32Array(await readWords(device, generated, 1, length));
  } finally {
    sampler.destroy();
    generated.destroy();
  }
}
