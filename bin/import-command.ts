/**
 * `npm start -- import --tfjs model.json --out FILE`: a TF.js / Keras layers model
 * (model.json and the weight files its manifest names, beside it) written as this
 * project's weights file (safetensors under PyTorch's state_dict names), which
 * RnnModel.fromWeights and PyTorch load.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { type AdapterPreference, createGpuContext, importTfjsModel, readTfjsModel } from '../src/index.ts';
import { writeFileAtomically } from './checkpoint-file.ts';

export const IMPORT_USAGE = `Usage:
  npm start -- import --tfjs model.json --out FILE [--adapter NAME]

  --tfjs FILE            a TF.js layers model.json; its weight files are read from beside it
  --out FILE             where to write the weights (safetensors)
  --adapter NAME         auto | hardware | swiftshader | llvmpipe (default auto)`;

export async function importCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { tfjs: { type: 'string' }, out: { type: 'string' }, adapter: { type: 'string' }, help: { type: 'boolean', default: false } },
  });
  if (values.help) {
    console.log(IMPORT_USAGE);
    return;
  }
  if (!values.tfjs) throw new Error('import: --tfjs model.json is required (the model to import)');
  if (!values.out) throw new Error('import: --out FILE is required (where to write the weights)');
  const modelJson = readText(values.tfjs);
  let paths: string[] = [];
  try {
    const manifest = (JSON.parse(modelJson) as { weightsManifest?: { paths?: string[] }[] }).weightsManifest;
    paths = Array.isArray(manifest) ? manifest.flatMap((group) => (Array.isArray(group?.paths) ? group.paths : [])) : [];
  } catch {
    // readTfjsModel below says what is wrong with the file.
  }
  const weights: Record<string, Uint8Array> = {};
  for (const path of paths) {
    try {
      weights[path] = new Uint8Array(readFileSync(join(dirname(values.tfjs), path)));
    } catch (error) {
      throw new Error(`cannot read weight file ${path} named in ${values.tfjs}: ${(error as Error).message}`);
    }
  }
  const imported = readTfjsModel({ modelJson, weights }); // refuses what does not map before any GPU work
  const context = await createGpuContext({ adapter: values.adapter as AdapterPreference | undefined });
  try {
    const model = await importTfjsModel(context, { modelJson, weights });
    writeFileAtomically(values.out, await model.saveWeights());
    const { cell, layers, hiddenSize } = model.config;
    const notes = [imported.outputActivation === 'softmax' ? 'the Dense softmax is left out: the model gives logits' : '', imported.returnSequences ? '' : 'many-to-one: the TF.js model outputs the last step only'];
    console.log(`wrote ${values.out}: ${layers}-layer ${cell} with ${hiddenSize} hidden units${notes.filter(Boolean).map((note) => `; ${note}`).join('')}`);
    model.dispose();
  } finally {
    context.destroy();
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
}
