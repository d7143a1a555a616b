// Kernels that measure the adapter's own ceilings (bench/ceilings.ts); nothing
// else uses them. Each one writes its result only under a condition that never
// holds in practice, so the compiler must do the work but nothing is stored.

struct Params {
  iterations: u32,   // multiplyAdd: loop trips; streamLoads*: elements (or vec4s) in the buffer
  threads: u32,      // streamLoads*: invocations in the grid (the loop stride)
  multiplier: f32,
  addend: f32,
}

@group(0) @binding(0) var<storage, read_write> sink: array<f32>;
@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> words: array<f32>;
@group(0) @binding(3) var<storage, read> quads: array<vec4<f32>>;

const NEVER: f32 = 1234567.0;

// ALU ceiling: 8 independent vec4 FMA chains, 8 · 4 · 2 = 64 FLOP per trip.
@compute @workgroup_size(64)
fn multiplyAdd(@builtin(global_invocation_id) id: vec3<u32>) {
  let m = vec4<f32>(p.multiplier);
  let c = vec4<f32>(p.addend);
  var a0 = vec4<f32>(f32(id.x) * 1e-6);
  var a1 = a0 + 0.1;
  var a2 = a0 + 0.2;
  var a3 = a0 + 0.3;
  var a4 = a0 + 0.4;
  var a5 = a0 + 0.5;
  var a6 = a0 + 0.6;
  var a7 = a0 + 0.7;
  for (var i = 0u; i < p.iterations; i++) {
    a0 = fma(a0, m, c);
    a1 = fma(a1, m, c);
    a2 = fma(a2, m, c);
    a3 = fma(a3, m, c);
    a4 = fma(a4, m, c);
    a5 = fma(a5, m, c);
    a6 = fma(a6, m, c);
    a7 = fma(a7, m, c);
  }
  let s = (a0 + a1) + (a2 + a3) + (a4 + a5) + (a6 + a7);
  if (s.x + s.y + s.z + s.w == NEVER) { sink[id.x] = s.x; }
}

// Memory ceiling: a grid-stride sum over the buffer, one f32 load per element;
// neighbouring invocations read neighbouring words.
@compute @workgroup_size(64)
fn streamLoads(@builtin(global_invocation_id) id: vec3<u32>) {
  var sum = 0.0;
  for (var i = id.x; i < p.iterations; i += p.threads) { sum += words[i]; }
  if (sum == NEVER) { sink[id.x] = sum; }
}

// The same with one vec4 load per four elements.
@compute @workgroup_size(64)
fn streamLoadsVec4(@builtin(global_invocation_id) id: vec3<u32>) {
  var sum = vec4<f32>();
  for (var i = id.x; i < p.iterations; i += p.threads) { sum += quads[i]; }
  if (sum.x + sum.y + sum.z + sum.w == NEVER) { sink[id.x] = sum.x; }
}

// Per-dispatch cost: one invocation that does nothing observable.
@compute @workgroup_size(1)
fn empty(@builtin(global_invocation_id) id: vec3<u32>) {
  if (p.multiplier == NEVER) { sink[id.x] = 1.0; }
}
