/** The golden fixtures' Adam check: three steps from the fixture's parameters land where torch.optim.Adam does. */
import type { RnnModel, SequenceBatch } from '../src/index.ts';
import { expectClose } from './check-close.ts';
import type { PytorchFixture } from './fixtures.ts';

export async function expectThreeAdamStepsAsPytorch(name: string, model: RnnModel, fixture: PytorchFixture, batch: SequenceBatch): Promise<void> {
  model.writeParameters(fixture.parameters);
  const steps = [0, 1, 2].map(() => model.trainStep(batch));
  const losses = await Promise.all(steps.map((step) => step.loss()));
  expectClose(`${name} Adam losses`, losses, fixture.adamLosses, { relative: 1e-5, absolute: 0 });
  const after = await model.readParameters();
  for (const [parameter, want] of Object.entries(fixture.adamParametersAfter3)) {
    expectClose(`${name} ${parameter} after 3 Adam steps`, after[parameter], want, { relative: 1e-4, absolute: 1e-5 });
  }
}
