/**
 * Bidirectional layers reproduce PyTorch (golden files from make_bidirectional_fixtures.py,
 * torch.nn.RNN / LSTM / GRU with bidirectional=True in float64): the float64 reference to
 * 1e-10, and the GPU on each adapter to float32 rounding — loss, every gradient (the
 * `_reverse` ones included), final states [2L, B, H], initial-state gradients, logits and
 * three Adam steps; packed sequences (lengths) and the many-to-one head on h_n of both
 * directions.
 */
import { readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { RnnModel, type RnnModelConfig, type SequenceBatch } from '../src/index.ts';
import { bidirectionalLossAndGradients, type BidirectionalBatch, type ReferenceCell } from '../src/reference/index.ts';
import { compareArrays, expectClose } from './check-close.ts';
import { BIDIRECTIONAL_FIXTURE_NAMES, loadFixture, type PytorchFixture } from './fixtures.ts';
import { expectThreeAdamStepsAsPytorch } from './fixture-adam.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';

const TOLERANCE = { relative: 1e-4, absolute: 2e-6 };
const REFERENCE_TOLERANCE = { relative: 1e-10, absolute: 1e-12 };

function modelConfig(fixture: PytorchFixture, optimizer?: RnnModelConfig['optimizer']): RnnModelConfig {
  return {
    cell: fixture.cell === 'lstm' || fixture.cell === 'gru' ? fixture.cell : 'rnn',
    ...(fixture.cell === 'rnn_relu' ? { nonlinearity: 'relu' as const } : {}),
    layers: fixture.layers,
    bidirectional: true,
    vocabularySize: fixture.inputSize,
    hiddenSize: fixture.hiddenSize,
    outputSize: fixture.outputSize,
    ...(optimizer ? { optimizer } : {}),
  };
}

function fixtureBatch(fixture: PytorchFixture): SequenceBatch & BidirectionalBatch {
  return {
    timeSteps: fixture.timeSteps,
    batchSize: fixture.batchSize,
    inputTokens: fixture.inputTokens!,
    ...(fixture.sequenceTargets ? { sequenceTargets: fixture.sequenceTargets } : { targets: fixture.targets }),
    ...(fixture.lengths ? { lengths: fixture.lengths } : {}),
    initialHidden: fixture.initialHidden,
    ...(fixture.initialCell ? { initialCell: fixture.initialCell } : {}),
  };
}

/** The logits PyTorch's head gave, as rows of ours: many-to-one row b is our row (len_b − 1)·B + b; else rows within lengths. */
function comparableLogits(fixture: PytorchFixture, logits: ArrayLike<number>): { got: number[]; want: number[] } {
  const { batchSize: B, timeSteps: T, outputSize: V } = fixture;
  const length = (b: number) => (fixture.lengths ? fixture.lengths[b] : T);
  const row = (values: ArrayLike<number>, r: number) => Array.from(values).slice(r * V, (r + 1) * V);
  const got: number[] = [];
  const want: number[] = [];
  if (fixture.sequenceTargets) {
    for (let b = 0; b < B; b++) {
      got.push(...row(logits, (length(b) - 1) * B + b));
      want.push(...row(fixture.logits, b));
    }
  } else {
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        if (t >= length(b)) continue;
        got.push(...row(logits, t * B + b));
        want.push(...row(fixture.logits, t * B + b));
      }
    }
  }
  return { got, want };
}

const worst: Record<string, number> = {};
function record(what: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  worst[what] = Math.max(worst[what] ?? 0, compareArrays(got, want, { relative: 0, absolute: 1e-3 }).maxRelative);
}
afterAll(() => {
  for (const [what, error] of Object.entries(worst)) console.log(`bidirectional vs PyTorch, ${what}: worst relative error ${error.toExponential(2)} (|value| > 1e-3)`);
});

describe('bidirectional PyTorch fixtures', () => {
  it('BIDIRECTIONAL_FIXTURE_NAMES lists exactly the bi-* files', () => {
    const files = readdirSync(new URL('./fixtures/', import.meta.url)).filter((file) => file.startsWith('bi-')).map((file) => file.replace(/\.safetensors$/, ''));
    expect(files.sort()).toEqual([...BIDIRECTIONAL_FIXTURE_NAMES].sort());
  });

  for (const name of BIDIRECTIONAL_FIXTURE_NAMES) {
    it(`${name}: the float64 reference matches PyTorch to 1e-10`, () => {
      const fixture = loadFixture(name);
      expect(fixture.bidirectional).toBe(true);
      const dims = { inputSize: fixture.inputSize, hiddenSize: fixture.hiddenSize, outputSize: fixture.outputSize, cell: fixture.cell as ReferenceCell, layers: fixture.layers };
      const want = bidirectionalLossAndGradients(fixture.parameters, dims, fixtureBatch(fixture));
      expectClose(`${name} loss`, [want.loss], [fixture.loss], REFERENCE_TOLERANCE);
      for (const [parameter, gradient] of Object.entries(fixture.gradients)) {
        expectClose(`${name} gradient ${parameter}`, want.gradients[parameter], gradient, REFERENCE_TOLERANCE);
        record('reference gradients', want.gradients[parameter], gradient);
      }
      expectClose(`${name} final hidden`, want.finalHidden, fixture.finalHidden, REFERENCE_TOLERANCE);
      if (fixture.finalCell) expectClose(`${name} final cell`, want.finalCell!, fixture.finalCell, REFERENCE_TOLERANCE);
      expectClose(`${name} dL/dh0`, want.dInitialHidden, fixture.dInitialHidden, REFERENCE_TOLERANCE);
      if (fixture.dInitialCell) expectClose(`${name} dL/dc0`, want.dInitialCell!, fixture.dInitialCell, REFERENCE_TOLERANCE);
      // The reference's many-to-one logits are [B, V] as PyTorch's; per-step ones [T·B, V].
      const { got, want: wantLogits } = fixture.sequenceTargets ? { got: Array.from(want.logits), want: Array.from(fixture.logits) } : comparableLogits(fixture, want.logits);
      expectClose(`${name} logits`, got, wantLogits, REFERENCE_TOLERANCE);
    });
  }
});

describe.each(TEST_ADAPTERS)('bidirectional PyTorch fixtures on %s', (adapter) => {
  for (const name of BIDIRECTIONAL_FIXTURE_NAMES) {
    it(`${name}: loss, every gradient, final states, initial-state gradients and logits match PyTorch`, async () => {
      const fixture = loadFixture(name);
      const model = await RnnModel.create(await contextFor(adapter), modelConfig(fixture));
      try {
        expect(Object.keys(model.parameterShapes)).toEqual(Object.keys(fixture.parameters));
        model.writeParameters(fixture.parameters);
        const loss = await model.computeGradients(fixtureBatch(fixture)).loss();
        expect(Math.abs(loss - fixture.loss) / fixture.loss, `loss ${loss} vs PyTorch ${fixture.loss}`).toBeLessThan(1e-5);
        const gradients = await model.readGradients();
        for (const [parameter, want] of Object.entries(fixture.gradients)) {
          expectClose(`${name} gradient ${parameter}`, gradients[parameter], want, TOLERANCE);
          record(`GPU gradients (${adapter})`, gradients[parameter], want);
        }
        expectClose(`${name} final hidden`, await model.readFinalHidden(), fixture.finalHidden, TOLERANCE);
        if (fixture.finalCell) expectClose(`${name} final cell`, await model.readFinalCell(), fixture.finalCell, TOLERANCE);
        const initialGradients = await model.readInitialStateGradients();
        expectClose(`${name} dL/dh0`, initialGradients.hidden, fixture.dInitialHidden, TOLERANCE);
        if (fixture.dInitialCell) expectClose(`${name} dL/dc0`, initialGradients.cell!, fixture.dInitialCell, TOLERANCE);
        const { logits } = await model.predict(fixtureBatch(fixture));
        const { got, want } = comparableLogits(fixture, logits);
        expectClose(`${name} logits`, got, want, TOLERANCE);
        record(`GPU logits (${adapter})`, got, want);
      } finally {
        model.dispose();
      }
    });

    it(`${name}: three Adam steps land where torch.optim.Adam does`, async () => {
      const fixture = loadFixture(name);
      const model = await RnnModel.create(await contextFor(adapter), modelConfig(fixture, { type: 'adam', learningRate: 0.01 }));
      try {
        await expectThreeAdamStepsAsPytorch(name, model, fixture, fixtureBatch(fixture));
      } finally {
        model.dispose();
      }
    });
  }
});
