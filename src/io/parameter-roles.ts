/**
 * Which of a model's parameters plays which part (embedding, each layer's four
 * tensors, the head), found from the parameter names, so that exporters and
 * importers do not hard-code them. Names are PyTorch state_dict names, bare
 * (`weight_ih_l0`, `weight`, `bias`) or module-prefixed (`rnn.weight_ih_l0`,
 * `head.weight`, `embedding.weight`); this is the one place that knows both.
 */

export interface LayerParameterNames {
  /** W_ih [G·H, I_k] */
  weightIh: string;
  /** W_hh [G·H, H] */
  weightHh: string;
  /** b_ih [G·H] */
  biasIh: string;
  /** b_hh [G·H] */
  biasHh: string;
}

export interface ParameterRoles {
  /** The learned embedding E [V, D], when the model has one. */
  embedding?: string;
  layers: LayerParameterNames[];
  /** The head's W_y [V, H] and b_y [V]. */
  headWeight: string;
  headBias: string;
}

const LAYER_PARAMETER = /(?:^|\.)(weight|bias)_(ih|hh)_l(\d+)$/;
const LAYER_KEYS = { weight_ih: 'weightIh', weight_hh: 'weightHh', bias_ih: 'biasIh', bias_hh: 'biasHh' } as const;

/** The roles of `names` (a model's parameter names) for a model of `layerCount` layers; throws naming what is missing. */
export function parameterRoles(names: readonly string[], layerCount: number): ParameterRoles {
  const layers: Partial<LayerParameterNames>[] = Array.from({ length: layerCount }, () => ({}));
  let embedding: string | undefined;
  let headWeight: string | undefined;
  let headBias: string | undefined;
  for (const name of names) {
    const layer = LAYER_PARAMETER.exec(name);
    if (layer) {
      const k = Number(layer[3]);
      if (k < layerCount) layers[k][LAYER_KEYS[`${layer[1]}_${layer[2]}` as keyof typeof LAYER_KEYS]] = name;
    } else if (name.startsWith('embedding.')) embedding = name;
    else if (/(?:^|\.)weight$/.test(name)) headWeight = name;
    else if (/(?:^|\.)bias$/.test(name)) headBias = name;
  }
  const missing: string[] = [];
  layers.forEach((layer, k) => {
    for (const key of Object.values(LAYER_KEYS)) if (!layer[key]) missing.push(`${key} of layer ${k}`);
  });
  if (!headWeight) missing.push("the head's weight");
  if (!headBias) missing.push("the head's bias");
  if (missing.length > 0) throw new Error(`Parameters not found among ${names.join(', ')}: ${missing.join(', ')}.`);
  return { ...(embedding ? { embedding } : {}), layers: layers as LayerParameterNames[], headWeight: headWeight!, headBias: headBias! };
}
