/** Packing of kernel uniforms: every field of our uniform structs is 4 bytes, u32 or f32, in order. */
export type UniformField = number | { f32: number };

export function f32(value: number): UniformField {
  return { f32: value };
}

/** Packs fields into an ArrayBuffer padded to 16 bytes (uniform structs' size granularity). */
export function packUniforms(fields: readonly UniformField[]): ArrayBuffer {
  const bytes = Math.max(16, Math.ceil((fields.length * 4) / 16) * 16);
  const data = new DataView(new ArrayBuffer(bytes));
  fields.forEach((field, index) => {
    if (typeof field === 'number') data.setUint32(index * 4, field, true);
    else data.setFloat32(index * 4, field.f32, true);
  });
  return data.buffer;
}
