/**
 * The engine reproduces PyTorch: for every cell (RNN tanh and relu, LSTM, GRU)
 * with 1 and 2 layers, the GPU's loss, every gradient, the final states, the
 * initial-state gradients and 3 Adam steps match golden values that PyTorch 1.13
 * computed in float64 (test/fixtures/make_fixtures.py), variable-length batches
 * (packed sequences, ignored padding) included.
 */
import { describe, expect, it } from 'vitest';
import { RnnModel, type RnnModelConfig, type SequenceBatch } from '../src/index.ts';
import { expectClose } from './check-close.ts';
import { FIXTURE_NAMES, loadFixture, type PytorchFixture } from './fixtures.ts';
import { expectThreeAdamStepsAsPytorch } from './fixture-adam.ts';
import { contextFor, TEST_ADAPTERS } from './gpu-adapters.ts';

// float32 on the GPU against float64 in PyTorch: relative 1e-4, and an absolute
// floor for elements that are small because of cancellation.
const TOLERANCE = { relative: 1e-4, absolute: 2e-6 };

function modelConfig(fixture: PytorchFixture, optimizer?: RnnModelConfig['optimizer']): RnnModelConfig {
  const cell = fixture.cell === 'lstm' || fixture.cell === 'gru' ? fixture.cell : 'rnn';
  return {
    cell,
    ...(fixture.cell === 'rnn_relu' ? { nonlinearity: 'relu' as const } : {}),
    layers: fixture.layers,
    hiddenSize: fixture.hiddenSize,
    ...(fixture.input === 'tokens' ? { vocabularySize: fixture.inputSize } : { inputSize: fixture.inputSize }),
    outputSize: fixture.outputSize,
    ...(optimizer ? { optimizer } : {}),
  };
}

function fixtureBatch(fixture: PytorchFixture): SequenceBatch {
  return {
    timeSteps: fixture.timeSteps,
    batchSize: fixture.batchSize,
    ...(fixture.inputTokens ? { inputTokens: fixture.inputTokens } : { inputs: fixture.inputs! }),
    targets: fixture.targets,
    ...(fixture.lengths ? { lengths: fixture.lengths } : {}),
    initialHidden: fixture.initialHidden,
    ...(fixture.initialCell ? { initialCell: fixture.initialCell } : {}),
  };
}

describe.each(TEST_ADAPTERS)('PyTorch fixtures on %s', (adapter) => {
  for (const name of FIXTURE_NAMES) {
    it(`${name}: loss, every gradient, final states and initial-state gradients match PyTorch`, async () => {
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
        }
        expectClose(`${name} final hidden`, await model.readFinalHidden(), fixture.finalHidden, TOLERANCE);
        if (fixture.finalCell) expectClose(`${name} final cell`, await model.readFinalCell(), fixture.finalCell, TOLERANCE);
        const initialGradients = await model.readInitialStateGradients();
        expectClose(`${name} dL/dh0`, initialGradients.hidden, fixture.dInitialHidden, TOLERANCE);
        if (fixture.dInitialCell) expectClose(`${name} dL/dc0`, initialGradients.cell!, fixture.dInitialCell, TOLERANCE);
        const { logits } = await model.predict({ ...fixtureBatch(fixture), targets: undefined });
        // Packed PyTorch outputs zeros past a sequence's length; those positions carry no loss
        // and are compared only where sequences run.
        const running = (p: number) => !fixture.lengths || Math.floor(p / fixture.batchSize) < fixture.lengths[p % fixture.batchSize];
        const V = fixture.outputSize;
        const keep = (values: ArrayLike<number>) => Array.from(values).filter((_, i) => running(Math.floor(i / V)));
        expectClose(`${name} logits`, keep(logits), keep(fixture.logits), TOLERANCE);
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
