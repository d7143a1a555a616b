/**
 * Makes examples/text-model.safetensors, the model the text-generation example
 * loads: an LSTM trained on the demo's generated grammar text, saved as weights
 * with its vocabulary in the metadata. Run in Node on any adapter:
 *
 *   npx vite build --ssr examples/train-text-model.ts --outDir dist/examples-tools --logLevel warn \
 *     && node dist/examples-tools/train-text-model.js [steps]
 */
import { writeFileSync } from 'node:fs';
import { CharacterVocabulary, createGpuContext, RnnModel, sampleText, TextBatches } from '../src/index.ts';
import { grammarText } from '../demo/corpora.ts';

const STEPS = Number(process.argv[2] ?? 1500);
// Relative to the working directory (the project root), as the built script runs from dist/.
const OUTPUT = 'examples/text-model.safetensors';

const context = await createGpuContext();
const text = grammarText();
const vocabulary = CharacterVocabulary.fromText(text);
const batches = new TextBatches(vocabulary.encode(text), 48, 32);
const model = await RnnModel.create(context, {
  cell: 'lstm',
  vocabularySize: vocabulary.size,
  hiddenSize: 96,
  seed: 1,
  optimizer: { type: 'adam', learningRate: 0.01 },
  schedule: { type: 'cosine', warmupSteps: 50, totalSteps: STEPS },
});
const started = performance.now();
for (let step = 0; step < STEPS; step++) {
  const result = model.trainStep(batches.batch(step));
  if ((step + 1) % 100 === 0) console.log(`step ${step + 1}: loss ${(await result.loss()).toFixed(4)} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
}
console.log(await sampleText(model, vocabulary, { prime: 'The ', length: 200, temperature: 0.5, seed: 1 }));
writeFileSync(OUTPUT, await model.saveWeights({ ...vocabulary.toMetadata(), trained_on: `grammarText() of demo/corpora.ts, ${STEPS} steps` }));
console.log(`wrote ${OUTPUT} on ${context.description}`);
model.dispose();
context.destroy();
