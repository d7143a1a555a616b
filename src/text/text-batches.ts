/**
 * Character-level training batches as char-rnn cuts them: the encoded text is
 * split into B contiguous streams, and batch k takes characters
 * [k·T, (k+1)·T) of every stream as inputs and the characters one further on
 * as targets. Time-major: element t·B + b.
 */
import { describeValue, InvalidArgumentError, requireIndices, requirePositiveInteger } from '../validation.ts';

export interface TokenBatch {
  timeSteps: number;
  batchSize: number;
  inputTokens: Uint32Array;
  targets: Uint32Array;
}

export class TextBatches {
  readonly timeSteps: number;
  readonly batchSize: number;
  /** Batches in one pass over the text. */
  readonly batchesPerEpoch: number;
  private readonly tokens: Uint32Array;
  private readonly streamLength: number;

  constructor(tokens: Uint32Array, timeSteps: number, batchSize: number) {
    this.timeSteps = requirePositiveInteger('timeSteps', timeSteps);
    this.batchSize = requirePositiveInteger('batchSize', batchSize);
    // Token ids as integers ≥ 0 (an array is copied into a Uint32Array; a string or anything else is refused).
    this.tokens = tokens instanceof Uint32Array ? tokens : requireIndices('tokens', tokens, (tokens as ArrayLike<number> | null)?.length ?? 0, 'any length', 2 ** 32, 'token ids');
    // Each stream needs one extra character for the last target.
    this.streamLength = Math.floor(tokens.length / batchSize);
    this.batchesPerEpoch = Math.floor((this.streamLength - 1) / timeSteps);
    if (this.batchesPerEpoch < 1) {
      throw new InvalidArgumentError(
        'tokens',
        `has ${tokens.length} tokens, expected at least batchSize × timeSteps + batchSize = ${batchSize * timeSteps + batchSize} for one batch`,
      );
    }
  }

  /** Every batch of one pass over the text, in order (for RnnModel.trainEpoch). */
  *[Symbol.iterator](): Iterator<TokenBatch> {
    for (let index = 0; index < this.batchesPerEpoch; index++) yield this.batch(index);
  }

  /** Batch `index` (taken modulo batchesPerEpoch). */
  batch(index: number): TokenBatch {
    if (!Number.isSafeInteger(index) || index < 0) throw new InvalidArgumentError('index', `got ${describeValue(index)}, expected an integer ≥ 0`);
    const T = this.timeSteps;
    const B = this.batchSize;
    const start = (index % this.batchesPerEpoch) * T;
    const inputTokens = new Uint32Array(T * B);
    const targets = new Uint32Array(T * B);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const position = b * this.streamLength + start + t;
        inputTokens[t * B + b] = this.tokens[position];
        targets[t * B + b] = this.tokens[position + 1];
      }
    }
    return { timeSteps: T, batchSize: B, inputTokens, targets };
  }
}
