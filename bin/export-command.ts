/**
 * `npm start -- export --onnx FILE`: writes a checkpoint (or weights file) as an
 * ONNX model for ONNX Runtime (see src/io/onnx-export.ts for the graph's inputs and
 * outputs). The vocabulary in the checkpoint's metadata goes into the ONNX file's.
 */
import { parseArgs } from 'node:util';
import { type AdapterPreference, CharacterVocabulary, createGpuContext, decodeSafetensors, exportOnnx, ONNX_OPSET_VERSION, RnnModel } from '../src/index.ts';
import { readCheckpoint, writeFileAtomically } from './checkpoint-file.ts';

export const EXPORT_USAGE = `Usage:
  npm start -- export --checkpoint FILE --onnx OUT [options]

  --checkpoint FILE      the model to export (a checkpoint or weights file)
  --onnx OUT             where to write the ONNX model
  --zero-states          no initial-state inputs: the graph starts from zero states
                         (default: inputs initial_hidden [L, B, H], and initial_cell for LSTM)
  --adapter NAME         auto | hardware | swiftshader | llvmpipe (default auto)`;

export async function exportCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      checkpoint: { type: 'string' },
      onnx: { type: 'string' },
      'zero-states': { type: 'boolean', default: false },
      adapter: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(EXPORT_USAGE);
    return;
  }
  if (!values.checkpoint) throw new Error('export: --checkpoint FILE is required (the model to export)');
  if (!values.onnx) throw new Error('export: --onnx OUT is required (where to write the ONNX model)');
  const bytes = readCheckpoint(values.checkpoint);
  const context = await createGpuContext({ adapter: values.adapter as AdapterPreference | undefined });
  try {
    const model = await RnnModel.fromWeights(context, bytes);
    const { metadata } = decodeSafetensors(bytes);
    const onnx = await exportOnnx(model, {
      initialStates: values['zero-states'] ? 'zeros' : 'inputs',
      metadata: Object.fromEntries(Object.entries(metadata).filter(([key]) => key === CharacterVocabulary.METADATA_KEY)),
    });
    writeFileAtomically(values.onnx, onnx);
    const { cell, layers, hiddenSize } = model.config;
    console.log(`wrote ${values.onnx} (${onnx.length} bytes): ${layers}-layer ${cell} with ${hiddenSize} hidden units, ONNX opset ${ONNX_OPSET_VERSION}`);
    model.dispose();
  } finally {
    context.destroy();
  }
}
