/**
 * The TF.js layers-model files as tf.io writes them (model.save, browserDownloads,
 * the tensorflowjs converter for Keras models):
 *   model.json  { "format": "layers-model", "modelTopology": { Keras model JSON },
 *                 "weightsManifest": [ { "paths": ["group1-shard1of1.bin", …],
 *                                        "weights": [ { "name", "shape", "dtype" }, … ] }, … ] }
 *   each group's shards, concatenated in `paths` order, hold its weights back to back,
 *   little-endian, row-major, in `weights` order.
 * tf.io's in-memory ModelArtifacts ({ modelTopology, weightSpecs, weightData }) are
 * accepted too, as one group.
 */
import { InvalidArgumentError } from '../validation.ts';

export interface TfjsModelFiles {
  /** model.json: its text or the parsed object (or tf.io ModelArtifacts with weightSpecs). */
  modelJson: string | object;
  /**
   * The weight files: by their path in the manifest, or all shards of all groups
   * concatenated in manifest order (as ModelArtifacts.weightData holds them).
   */
  weights: Uint8Array | ArrayBuffer | Record<string, Uint8Array | ArrayBuffer>;
}

export interface TfjsTensor {
  shape: number[];
  data: Float32Array;
}

export interface ParsedTfjsModel {
  topology: Record<string, unknown>;
  /** Weights by their TF.js name (e.g. 'lstm_LSTM1/kernel'). */
  tensors: Map<string, TfjsTensor>;
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

interface ManifestGroup {
  paths: string[];
  weights: WeightSpec[];
}

const argument = 'files';

/** The topology and every weight of a TF.js layers model; refuses a malformed or truncated one, saying what is wrong. */
export function parseTfjsModel(files: TfjsModelFiles): ParsedTfjsModel {
  if (typeof files !== 'object' || files === null) throw new InvalidArgumentError(argument, 'expected { modelJson, weights }');
  let json: Record<string, unknown>;
  try {
    json = (typeof files.modelJson === 'string' ? JSON.parse(files.modelJson) : files.modelJson) as Record<string, unknown>;
  } catch (error) {
    throw new InvalidArgumentError(`${argument}.modelJson`, `is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || typeof json.modelTopology !== 'object' || json.modelTopology === null) {
    throw new InvalidArgumentError(`${argument}.modelJson`, 'has no modelTopology object; expected a TF.js layers model.json (format "layers-model")');
  }
  if (json.format !== undefined && json.format !== 'layers-model') {
    throw new InvalidArgumentError(`${argument}.modelJson`, `has format ${JSON.stringify(json.format)}, expected "layers-model" (a graph model has no layers to map)`);
  }
  const groups = manifestGroups(json);
  const tensors = new Map<string, TfjsTensor>();
  const single = files.weights instanceof Uint8Array || files.weights instanceof ArrayBuffer ? bytesOf(files.weights) : undefined;
  let offset = 0;
  for (const group of groups) {
    let data: Uint8Array;
    if (single) {
      const length = group.weights.reduce((sum, spec) => sum + 4 * elementCount(spec), 0);
      data = single.subarray(offset, offset + length);
      offset += length;
    } else {
      data = concatenate(group.paths.map((path) => shard(files.weights as Record<string, Uint8Array | ArrayBuffer>, path)));
    }
    let position = 0;
    for (const spec of group.weights) {
      if (spec.dtype !== 'float32') throw new InvalidArgumentError(`${argument}.weights`, `weight ${spec.name} has dtype ${spec.dtype}, expected float32`);
      if (spec.quantization) throw new InvalidArgumentError(`${argument}.weights`, `weight ${spec.name} is quantized; export the model unquantized`);
      const length = elementCount(spec);
      if (position + 4 * length > data.length) {
        throw new InvalidArgumentError(`${argument}.weights`, `end at byte ${data.length} of its group, before weight ${spec.name} [${spec.shape.join(', ')}] (${4 * length} bytes from byte ${position}); the weight files are truncated or do not belong to this model.json`);
      }
      const values = new Float32Array(length);
      const view = new DataView(data.buffer, data.byteOffset + position, 4 * length);
      for (let i = 0; i < length; i++) values[i] = view.getFloat32(4 * i, true);
      tensors.set(spec.name, { shape: [...spec.shape], data: values });
      position += 4 * length;
    }
    if (!single && position !== data.length) {
      throw new InvalidArgumentError(`${argument}.weights`, `the shards ${group.paths.join(', ')} hold ${data.length} bytes, the manifest describes ${position}`);
    }
  }
  if (single && offset !== single.length) throw new InvalidArgumentError(`${argument}.weights`, `holds ${single.length} bytes, the manifest describes ${offset}`);
  return { topology: json.modelTopology as Record<string, unknown>, tensors };
}

function manifestGroups(json: Record<string, unknown>): ManifestGroup[] {
  const manifest = json.weightsManifest ?? (Array.isArray(json.weightSpecs) ? [{ paths: [], weights: json.weightSpecs }] : undefined);
  if (!Array.isArray(manifest)) throw new InvalidArgumentError(`${argument}.modelJson`, 'has no weightsManifest array');
  for (const group of manifest as ManifestGroup[]) {
    if (!Array.isArray(group?.weights) || !Array.isArray(group.paths)) throw new InvalidArgumentError(`${argument}.modelJson`, 'has a weightsManifest entry without paths and weights arrays');
    for (const spec of group.weights) {
      if (typeof spec?.name !== 'string' || !Array.isArray(spec.shape) || !spec.shape.every((size) => Number.isInteger(size) && size >= 0)) {
        throw new InvalidArgumentError(`${argument}.modelJson`, `has a malformed weight entry ${JSON.stringify(spec)}; expected { name, shape, dtype }`);
      }
    }
  }
  return manifest as ManifestGroup[];
}

function elementCount(spec: WeightSpec): number {
  return spec.shape.reduce((product, size) => product * size, 1);
}

function bytesOf(data: Uint8Array | ArrayBuffer): Uint8Array {
  return data instanceof Uint8Array ? data : new Uint8Array(data);
}

function shard(weights: Record<string, Uint8Array | ArrayBuffer>, path: string): Uint8Array {
  const data = weights[path] ?? weights[path.replace(/^\.\//, '')];
  if (!(data instanceof Uint8Array || data instanceof ArrayBuffer)) {
    throw new InvalidArgumentError(`${argument}.weights`, `has no file ${JSON.stringify(path)} (named in the manifest); given: ${Object.keys(weights).join(', ') || 'none'}`);
  }
  return bytesOf(data);
}

function concatenate(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
