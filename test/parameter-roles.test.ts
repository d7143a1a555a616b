/**
 * Parameter roles by name, for the ONNX exporter and the TF.js importer: bare PyTorch
 * state_dict names and module-prefixed ones give the same roles; a missing tensor is named.
 */
import { describe, expect, it } from 'vitest';
import { parameterRoles } from '../src/io/parameter-roles.ts';

describe('parameterRoles', () => {
  it('reads bare state_dict names', () => {
    const names = ['embedding.weight', 'weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0', 'weight_ih_l1', 'weight_hh_l1', 'bias_ih_l1', 'bias_hh_l1', 'weight', 'bias'];
    const roles = parameterRoles(names, 2);
    expect(roles.embedding).toBe('embedding.weight');
    expect(roles.layers[1]).toEqual({ weightIh: 'weight_ih_l1', weightHh: 'weight_hh_l1', biasIh: 'bias_ih_l1', biasHh: 'bias_hh_l1' });
    expect([roles.headWeight, roles.headBias]).toEqual(['weight', 'bias']);
  });

  it('reads module-prefixed names (rnn., head.) the same way', () => {
    const names = ['rnn.weight_ih_l0', 'rnn.weight_hh_l0', 'rnn.bias_ih_l0', 'rnn.bias_hh_l0', 'head.weight', 'head.bias'];
    const roles = parameterRoles(names, 1);
    expect(roles.embedding).toBeUndefined();
    expect(roles.layers[0].weightHh).toBe('rnn.weight_hh_l0');
    expect([roles.headWeight, roles.headBias]).toEqual(['head.weight', 'head.bias']);
  });

  it('names what is missing', () => {
    expect(() => parameterRoles(['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'weight', 'bias'], 2)).toThrow(/biasHh of layer 0, weightIh of layer 1/);
  });
});
