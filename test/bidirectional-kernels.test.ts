// The bidirectional kernels (shaders/bidirectional*.wgsl, reverse_rows.wgsl) on each adapter
// against plain CPU loops: rows reversed within each sequence's length (floats, token ids,
// accumulating), the two directions joined into [T·B, 2H] and split back, per-step and
// many-to-one. Slices sit at non-zero offsets; words outside them must stay as they were.
import { describe, expect, it } from 'vitest';
import { createStorageBufferWith, readFloats } from '../src/device/buffers.ts';
import { DispatchPlan } from '../src/kernels/dispatch-plan.ts';
import { directionUniforms } from '../src/kernels/kernel-set.ts';
import { contextFor, kernelsFor, TEST_ADAPTERS } from './gpu-adapters.ts';
import { randomFloats } from './random.ts';

const SENTINEL = 12345.5;

/** rev(t, b): t mirrored within sequence b's length, unchanged past it. */
function reversedTime(t: number, length: number): number {
  return t < length ? length - 1 - t : t;
}

function placed(data: ArrayLike<number>, offset: number, after: number): Float32Array {
  const words = new Float32Array(offset + data.length + after).fill(SENTINEL);
  words.set(data, offset);
  return words;
}

const T = 7;
const B = 3;
const H = 5;
// 67 threads' worth of rows so the last workgroup is partial; lengths 7, 1 and 4.
const LENGTHS = new Uint32Array([7, 1, 4]);

describe.each(TEST_ADAPTERS)('bidirectional kernels on %s', (adapter) => {
  it('reverseRows mirrors each sequence within its length, for floats, accumulated floats and token ids', async () => {
    const { device } = await contextFor(adapter);
    const kernels = await kernelsFor(adapter);
    const W = 3;
    const input = randomFloats(T * B * W, 1);
    const prior = randomFloats(T * B * W, 2);
    const tokens = Uint32Array.from({ length: T * B }, (_, i) => (i * 7) % 11);
    const lengths = createStorageBufferWith(device, 'lengths', LENGTHS);
    const inputBuffer = createStorageBufferWith(device, 'rows', placed(input, 2, 1));
    const copyWords = placed(new Float32Array(T * B * W), 5, 2);
    const copy = createStorageBufferWith(device, 'reversed', copyWords);
    const sum = createStorageBufferWith(device, 'sum', placed(prior, 1, 3));
    const tokenBuffer = createStorageBufferWith(device, 'tokens', tokens);
    const reversedTokens = createStorageBufferWith(device, 'reversed tokens', new Uint32Array(T * B));
    const plan = new DispatchPlan(device, 'reverse rows');
    kernels.reverseRows(plan, { lengths, input: { buffer: inputBuffer, offset: 2 }, output: { buffer: copy, offset: 5 }, timeSteps: T, batch: B, width: W, accumulate: false }, 'copy');
    kernels.reverseRows(plan, { lengths, input: { buffer: inputBuffer, offset: 2 }, output: { buffer: sum, offset: 1 }, timeSteps: T, batch: B, width: W, accumulate: true }, 'add');
    kernels.reverseRows(plan, { lengths, input: { buffer: tokenBuffer, offset: 0 }, output: { buffer: reversedTokens, offset: 0 }, timeSteps: T, batch: B, width: 1, accumulate: false }, 'tokens');
    plan.submit();
    const wantCopy = new Float32Array(T * B * W);
    const wantSum = new Float32Array(T * B * W);
    const wantTokens = new Uint32Array(T * B);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const source = reversedTime(t, LENGTHS[b]) * B + b;
        wantTokens[t * B + b] = tokens[source];
        for (let i = 0; i < W; i++) {
          wantCopy[(t * B + b) * W + i] = input[source * W + i];
          wantSum[(t * B + b) * W + i] = Math.fround(prior[(t * B + b) * W + i] + input[source * W + i]);
        }
      }
    }
    const gotCopy = await readFloats(device, copy, 0, copyWords.length);
    expect(Array.from(gotCopy)).toEqual(Array.from(placed(wantCopy, 5, 2)));
    const gotSum = await readFloats(device, sum, 0, T * B * W + 4);
    expect(Array.from(gotSum)).toEqual(Array.from(placed(wantSum, 1, 3)));
    const gotTokens = new Uint32Array((await readFloats(device, reversedTokens, 0, T * B)).buffer);
    expect(Array.from(gotTokens)).toEqual(Array.from(wantTokens));
  });

  for (const summary of [false, true]) {
    it(`joinDirections and splitDirections${summary ? ' (many-to-one: the reverse half is its final state)' : ''}`, async () => {
      const { device } = await contextFor(adapter);
      const kernels = await kernelsFor(adapter);
      const S = B * H;
      const forwardStates = randomFloats((T + 1) * S, 3);
      const reverseStates = randomFloats((T + 1) * S, 4);
      const dJoined = randomFloats(T * B * 2 * H, 5);
      const lengths = createStorageBufferWith(device, 'lengths', LENGTHS);
      const forwardBuffer = createStorageBufferWith(device, 'h fwd', forwardStates);
      const reverseBuffer = createStorageBufferWith(device, 'h rev', reverseStates);
      const joinedWords = placed(new Float32Array(T * B * 2 * H), 3, 2);
      const joined = createStorageBufferWith(device, 'y', joinedWords);
      const dJoinedBuffer = createStorageBufferWith(device, 'dy', placed(dJoined, 4, 0));
      // Slot 0 of the state gradients and any slot past T are not the split's: sentinels must stay.
      const forwardGradients = createStorageBufferWith(device, 'dh fwd', new Float32Array((T + 2) * S).fill(SENTINEL));
      const reverseGradients = createStorageBufferWith(device, 'dh rev', new Float32Array((T + 2) * S).fill(SENTINEL));
      const plan = new DispatchPlan(device, 'join and split');
      const join = kernels.joinDirections(plan, { lengths, forwardStates: forwardBuffer, reverseStates: reverseBuffer, joined: { buffer: joined, offset: 3 }, timeSteps: T, batch: B, hiddenSize: H }, 'join');
      const split = kernels.splitDirections(plan, { lengths, dJoined: { buffer: dJoinedBuffer, offset: 4 }, forwardGradients, reverseGradients, timeSteps: T, batch: B, hiddenSize: H }, 'split');
      plan.build();
      plan.updateUniforms(join, directionUniforms(T, B, H, summary, 3));
      plan.updateUniforms(split, directionUniforms(T, B, H, summary, 4));
      plan.submit();
      const wantJoined = new Float32Array(T * B * 2 * H);
      const wantForward = new Float32Array((T + 2) * S).fill(SENTINEL);
      const wantReverse = new Float32Array((T + 2) * S).fill(SENTINEL);
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < B; b++) {
          const L = LENGTHS[b];
          const s = summary ? L - 1 : reversedTime(t, L);
          for (let j = 0; j < H; j++) {
            wantJoined[(t * B + b) * 2 * H + j] = forwardStates[((t + 1) * B + b) * H + j];
            wantJoined[(t * B + b) * 2 * H + H + j] = reverseStates[((s + 1) * B + b) * H + j];
            wantForward[((t + 1) * B + b) * H + j] = dJoined[(t * B + b) * 2 * H + j];
            // Reverse step t reads original time rev(t); many-to-one: only its last step has a gradient.
            wantReverse[((t + 1) * B + b) * H + j] = summary ? (t === L - 1 ? dJoined[(t * B + b) * 2 * H + H + j] : 0) : dJoined[(reversedTime(t, L) * B + b) * 2 * H + H + j];
          }
        }
      }
      expect(Array.from(await readFloats(device, joined, 0, joinedWords.length))).toEqual(Array.from(placed(wantJoined, 3, 2)));
      expect(Array.from(await readFloats(device, forwardGradients, 0, (T + 2) * S))).toEqual(Array.from(wantForward));
      expect(Array.from(await readFloats(device, reverseGradients, 0, (T + 2) * S))).toEqual(Array.from(wantReverse));
    });
  }
});
