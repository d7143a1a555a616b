// The PyTorch fixtures checked for shape and self-consistency, so a test that fails against
// them fails because of the engine, not because a fixture is malformed.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GATES_PER_CELL } from '../src/reference/index.ts';
import { FIXTURE_NAMES, loadFixture, readFixtureFile, type PytorchFixture } from './fixtures.ts';

const METADATA_KEYS = [
  'cell', 'layers', 'input', 'input_size', 'hidden_size', 'output_size',
  'time_steps', 'batch_size', 'torch_version', 'made_by',
];

/** state_dict order and shape of every parameter: the RNN module's layers, then the head. */
function expectedParameterShapes(f: PytorchFixture): [string, number[]][] {
  const rows = GATES_PER_CELL[f.cell] * f.hiddenSize;
  const shapes: [string, number[]][] = [];
  for (let l = 0; l < f.layers; l++) {
    shapes.push([`weight_ih_l${l}`, [rows, l === 0 ? f.inputSize : f.hiddenSize]]);
    shapes.push([`weight_hh_l${l}`, [rows, f.hiddenSize]]);
    shapes.push([`bias_ih_l${l}`, [rows]]);
    shapes.push([`bias_hh_l${l}`, [rows]]);
  }
  shapes.push(['weight', [f.outputSize, f.hiddenSize]], ['bias', [f.outputSize]]);
  return shapes;
}

/** mean over positions whose target is not −100 of logsumexp(logits) − logits[target], in float64. */
function meanCrossEntropy(logits: Float64Array, targets: Int32Array, classes: number): number {
  let total = 0;
  let counted = 0;
  for (let p = 0; p < targets.length; p++) {
    if (targets[p] === -100) continue;
    counted++;
    const row = logits.subarray(p * classes, (p + 1) * classes);
    let max = -Infinity;
    for (const value of row) max = Math.max(max, value);
    let sum = 0;
    for (const value of row) sum += Math.exp(value - max);
    total += max + Math.log(sum) - row[targets[p]];
  }
  return total / counted;
}

const allFinite = (values: ArrayLike<number>) => Array.from(values).every(Number.isFinite);

describe('PyTorch fixtures', () => {
  it('FIXTURE_NAMES lists exactly the model fixtures in test/fixtures/ (optimizers.safetensors is the optimizer trajectories, simple_rnn-sgd.safetensors the SimpleRNN, bi-* the bidirectional cases)', () => {
    const files = readdirSync(new URL('./fixtures/', import.meta.url))
      .filter((file) => file.endsWith('.safetensors') && file !== 'optimizers.safetensors' && file !== 'simple_rnn-sgd.safetensors' && !file.startsWith('bi-'))
      .map((file) => file.replace(/\.safetensors$/, ''));
    expect([...files].sort()).toEqual([...FIXTURE_NAMES].sort());
  });

  for (const name of FIXTURE_NAMES) {
    describe(name, () => {
      const file = readFixtureFile(name);
      const f = loadFixture(name);
      const shape = (key: string) => file.tensors[key]?.shape;
      const { timeSteps: T, batchSize: B, hiddenSize: H, outputSize: V, layers: L } = f;

      it('has every metadata field, matching the file name', () => {
        for (const key of METADATA_KEYS) expect(file.metadata[key], key).toBeTypeOf('string');
        expect(file.metadata.made_by).toBe('test/fixtures/make_fixtures.py');
        expect(name).toBe(`${f.cell}-l${L}${f.input === 'dense' ? '-dense' : ''}${f.lengths ? '-lengths' : ''}`);
        if (f.input === 'tokens') expect(f.inputSize).toBe(V);
      });

      it('stores parameters, gradients and Adam results in state_dict order with consistent shapes', () => {
        const expected = expectedParameterShapes(f);
        const names = expected.map(([n]) => n);
        expect(Object.keys(f.parameters)).toEqual(names);
        expect(Object.keys(f.gradients)).toEqual(names);
        expect(Object.keys(f.adamParametersAfter3)).toEqual(names);
        for (const [n, s] of expected) {
          expect(shape(n), n).toEqual(s);
          expect(shape(`grad.${n}`), `grad.${n}`).toEqual(s);
          expect(shape(`adam3.${n}`), `adam3.${n}`).toEqual(s);
          expect(allFinite(f.parameters[n]) && allFinite(f.gradients[n]) && allFinite(f.adamParametersAfter3[n]), n).toBe(true);
          expect(f.gradients[n].some((g) => g !== 0), `grad.${n} is all zero`).toBe(true);
        }
      });

      it('stores inputs, targets and states with consistent shapes', () => {
        if (f.input === 'tokens') {
          expect(shape('input_tokens')).toEqual([T, B]);
          expect(f.inputs).toBeUndefined();
          expect(f.inputTokens!.every((token) => token >= 0 && token < V)).toBe(true);
        } else {
          expect(shape('inputs')).toEqual([T, B, f.inputSize]);
          expect(f.inputTokens).toBeUndefined();
        }
        expect(shape('targets')).toEqual([T, B]);
        // Targets are classes, or −100 exactly at the positions past a sequence's length.
        for (let p = 0; p < T * B; p++) {
          const past = f.lengths !== undefined && Math.floor(p / B) >= f.lengths[p % B];
          expect(past ? f.targets[p] === -100 : f.targets[p] >= 0 && f.targets[p] < V, `target ${p}`).toBe(true);
        }
        if (f.lengths) expect(shape('lengths')).toEqual([B]);
        const stateKeys = ['initial_hidden', 'final_hidden', 'grad.initial_hidden'];
        const cellKeys = ['initial_cell', 'final_cell', 'grad.initial_cell'];
        for (const key of stateKeys) expect(shape(key), key).toEqual([L, B, H]);
        for (const key of cellKeys) expect(shape(key), key).toEqual(f.cell === 'lstm' ? [L, B, H] : undefined);
        expect(f.initialCell !== undefined && f.finalCell !== undefined && f.dInitialCell !== undefined).toBe(f.cell === 'lstm');
        expect(shape('logits')).toEqual([T, B, V]);
        expect(shape('loss')).toEqual([]);
        expect(shape('adam_losses')).toEqual([3]);
      });

      it('has a finite loss equal to the mean cross-entropy of the stored logits', () => {
        expect(Number.isFinite(f.loss)).toBe(true);
        expect(Math.abs(meanCrossEntropy(f.logits, f.targets, V) - f.loss)).toBeLessThan(1e-12);
        expect(Math.abs(f.adamLosses[0] - f.loss)).toBeLessThan(1e-12);
        expect(allFinite(f.adamLosses)).toBe(true);
        expect(f.adamLosses[2]).toBeLessThan(f.adamLosses[0]);
      });
    });
  }
});
