/**
 * Kernel uniforms: every field of our uniform structs is 4 bytes, u32 or f32, in
 * order. Each kernel declares its struct once as a named layout (registry.ts), and
 * op functions pack values by name, so no call site repeats the WGSL field order
 * (test/uniform-layouts.test.ts checks each layout against its WGSL struct).
 */
export type UniformField = number | { f32: number };

export type UniformType = 'u32' | 'f32';

/** A uniform struct's fields in WGSL order (object keys keep insertion order). */
export type UniformLayout = Readonly<Record<string, UniformType>>;

export function f32(value: number): UniformField {
  return { f32: value };
}

/**
 * The fields of `layout` from `values` by name, in the layout's order (f32 fields
 * tagged); refuses a missing or an unknown name.
 */
export function packUniforms<L extends UniformLayout>(layout: L, values: { readonly [K in keyof L]: number }): UniformField[] {
  const names = Object.keys(layout);
  for (const name of Object.keys(values)) {
    if (!(name in layout)) throw new Error(`Uniform ${name} is not a field of this layout (fields: ${names.join(', ')})`);
  }
  return names.map((name) => {
    const value = (values as Record<string, number | undefined>)[name];
    if (typeof value !== 'number') throw new Error(`Uniform ${name} is missing (fields: ${names.join(', ')})`);
    return layout[name] === 'f32' ? f32(value) : value;
  });
}

/** Packs fields into an ArrayBuffer padded to 16 bytes (uniform structs' size granularity). */
export function uniformBytes(fields: readonly UniformField[]): ArrayBuffer {
  const bytes = Math.max(16, Math.ceil((fields.length * 4) / 16) * 16);
  const data = new DataView(new ArrayBuffer(bytes));
  fields.forEach((field, index) => {
    if (typeof field === 'number') data.setUint32(index * 4, field, true);
    else data.setFloat32(index * 4, field.f32, true);
  });
  return data.buffer;
}
