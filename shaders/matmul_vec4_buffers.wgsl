// The operands of matmul_register_loads_vec4.wgsl as storage buffers of vec4s.

@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;

fn operandA(i: u32) -> vec4<f32> { return a[i]; }
fn operandB(i: u32) -> vec4<f32> { return b[i]; }

// Accumulating, C's earlier values are read where they are.
fn priorOutput(index: u32) -> vec4<f32> { return c[index]; }

// B as stored, [k, n] or [n, k] (TRANSPOSE_B).
const PACKED_B: bool = false;
