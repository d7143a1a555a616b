/**
 * Time-series forecasting with webgpu-rnn: dense inputs (one value per step),
 * MSE loss, a GRU, then an autoregressive forecast that carries the hidden
 * state on the GPU from one prediction to the next ('carry').
 * `?steps=N` and `?horizon=N` set the training steps and the forecast's length (the tests use few).
 */
import { createGpuContext, RnnModel, seededRandom } from 'webgpu-rnn';
import { plotLines } from './plot.ts';

const query = new URLSearchParams(location.search);
const STEPS = Number(query.get('steps') ?? 400);
const LENGTH = 600; // points in the series
const HORIZON = Number(query.get('horizon') ?? 96); // the last HORIZON points are forecast, never trained on
const WINDOW = 32; // time steps T of a training sequence
const BATCH = 16; // sequences per step B

const status = document.getElementById('status')!;
const show = (text: string) => (status.textContent = text);

/** Two seasonal waves (periods 24 and 7.5) and a little noise: y_t = sin(2πt/24) + ½ sin(2πt/7.5) + 0.1 ε_t. */
function makeSeries(): Float32Array {
  const random = seededRandom(7);
  return Float32Array.from({ length: LENGTH }, (_, t) => Math.sin((2 * Math.PI * t) / 24) + 0.5 * Math.sin((2 * Math.PI * t) / 7.5) + 0.1 * (random() * 2 - 1));
}

/** B windows from the training part, time-major: inputs y_t, targets y_{t+1}. */
function batchAt(series: Float32Array, random: () => number) {
  const inputs = new Float32Array(WINDOW * BATCH);
  const targetValues = new Float32Array(WINDOW * BATCH);
  for (let b = 0; b < BATCH; b++) {
    const start = Math.floor(random() * (LENGTH - HORIZON - WINDOW - 1));
    for (let t = 0; t < WINDOW; t++) {
      inputs[t * BATCH + b] = series[start + t];
      targetValues[t * BATCH + b] = series[start + t + 1];
    }
  }
  return { timeSteps: WINDOW, batchSize: BATCH, inputs, targetValues };
}

async function main() {
  const context = await createGpuContext();
  show(`training on ${context.description}…`);
  const model = await RnnModel.create(context, {
    cell: 'gru',
    inputSize: 1,
    hiddenSize: 32,
    outputSize: 1,
    loss: 'mse',
    optimizer: { type: 'adam', learningRate: 0.01 },
  });
  const series = makeSeries();
  const random = seededRandom(1);
  const losses: number[] = [];
  for (let step = 1; step <= STEPS; step++) {
    const result = model.trainStep(batchAt(series, random));
    if (step === 1 || step % 25 === 0 || step === STEPS) {
      losses.push(await result.loss()); // a readback: only now and then
      show(`step ${step} of ${STEPS}: mean squared error ${losses.at(-1)!.toFixed(4)}`);
    }
  }

  // Forecast: read the history up to the horizon, then feed each prediction back in.
  const start = LENGTH - HORIZON;
  const history = series.slice(start - 2 * WINDOW, start);
  let { logits } = await model.predict({ timeSteps: history.length, batchSize: 1, inputs: history });
  const forecast = new Float32Array(HORIZON);
  for (let k = 0; k < HORIZON; k++) {
    forecast[k] = logits[logits.length - 1];
    ({ logits } = await model.predict({ timeSteps: 1, batchSize: 1, inputs: [forecast[k]], initialHidden: 'carry' }));
    if (k % 8 === 0) show(`forecasting: ${k} of ${HORIZON}`);
  }
  const truth = series.slice(start);
  const error = Math.sqrt(truth.reduce((sum, value, k) => sum + (value - forecast[k]) ** 2, 0) / HORIZON);
  const spread = Math.sqrt(truth.reduce((sum, value) => sum + value ** 2, 0) / HORIZON);

  plotLines(document.querySelector('canvas')!, [
    { label: 'series', colour: 'rgba(100,116,139,0.7)', values: series.slice(start - 3 * WINDOW) },
    { label: 'forecast', colour: '#6366f1', values: forecast, offset: 3 * WINDOW, dashed: true },
  ]);
  document.getElementById('summary')!.textContent =
    `Training error ${losses[0].toFixed(3)} → ${losses.at(-1)!.toFixed(3)} after ${STEPS} steps. ` +
    `Forecast of ${HORIZON} steps: root mean squared error ${error.toFixed(3)} (the series' own RMS is ${spread.toFixed(3)}).`;
  show('done');
  document.body.dataset.state = 'done';
  Object.assign(window, { exampleResult: { losses, forecast: Array.from(forecast), rmse: error, rms: spread } });
  model.dispose();
}

main().catch((error: unknown) => {
  show(`failed: ${String(error)}`);
  document.body.dataset.state = 'error';
  console.error(error);
});
