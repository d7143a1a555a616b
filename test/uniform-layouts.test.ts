/**
 * Each kernel's declared uniform layout (registry.ts) against the WGSL struct its
 * sources bind as `var<uniform>`: the same field names, in the same order, of the
 * same types. No GPU needed.
 */
import { describe, expect, it } from 'vitest';
import { KERNELS, type KernelName } from '../src/kernels/registry.ts';
import { f32, packUniforms } from '../src/kernels/uniforms.ts';

/** The fields of the struct bound as `var<uniform>` in a kernel's concatenated sources, as [name, type]. */
function wgslUniformStruct(source: string): [string, string][] {
  const code = source.replace(/\/\/[^\n]*/g, '');
  const bindings = [...code.matchAll(/var<uniform>\s+\w+\s*:\s*(\w+)\s*;/g)];
  expect(bindings.length, 'uniform bindings').toBe(1);
  const structName = bindings[0][1];
  const structs = [...code.matchAll(new RegExp(`struct\\s+${structName}\\s*\\{([^}]*)\\}`, 'g'))];
  expect(structs.length, `definitions of struct ${structName}`).toBe(1);
  return structs[0][1]
    .split(',')
    .map((field) => field.trim())
    .filter((field) => field.length > 0)
    .map((field) => {
      const match = /^(\w+)\s*:\s*(\w+)$/.exec(field);
      if (!match) throw new Error(`Unparsed field "${field}" in struct ${structName}`);
      return [match[1], match[2]];
    });
}

describe('uniform layouts', () => {
  for (const name of Object.keys(KERNELS) as KernelName[]) {
    it(`${name}: the declared layout is the WGSL uniform struct`, () => {
      const spec = KERNELS[name];
      expect(Object.entries(spec.uniforms)).toEqual(wgslUniformStruct(spec.sources.join('\n')));
    });
  }

  it('packs by name in the layout order, tagging f32 fields', () => {
    const layout = { count: 'u32', scale: 'f32', offset: 'u32' } as const;
    expect(packUniforms(layout, { offset: 7, scale: 0.5, count: 3 })).toEqual([3, f32(0.5), 7]);
  });

  it('refuses a missing or an unknown field', () => {
    const layout = { count: 'u32', scale: 'f32' } as const;
    expect(() => packUniforms(layout, { count: 1 } as never)).toThrow(/Uniform scale is missing/);
    expect(() => packUniforms(layout, { count: 1, scale: 2, offset: 3 } as never)).toThrow(/Uniform offset is not a field/);
  });
});
