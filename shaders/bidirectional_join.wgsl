// joinDirections / splitDirections (see bidirectional.wgsl, which comes first in this module).
@group(0) @binding(1) var<storage, read> source: array<f32>;        // join: h^fwd [T+1, B, H]; split: dy [T·B, 2H]
@group(0) @binding(2) var<storage, read_write> first: array<f32>;   // join: h^rev [T+1, B, H] (read); split: dh^fwd
@group(0) @binding(3) var<storage, read_write> second: array<f32>;   // join: y [T·B, 2H]; split: dh^rev
@group(0) @binding(4) var<uniform> direction: DirectionUniforms;

@compute @workgroup_size(WORKGROUP_SIZE)
fn joinDirections(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = invocation(id, groups);
  let H = direction.hiddenSize;
  let B = direction.batch;
  if (i >= direction.timeSteps * B * 2u * H) { return; }
  let row = i / (2u * H);
  let j = i % (2u * H);
  let t = row / B;
  let b = row % B;
  var value: f32;
  if (j < H) {
    value = source[((t + 1u) * B + b) * H + j];
  } else {
    let s = select(reversedTime(t, b), lengths[b] - 1u, direction.summary == 1u);
    value = first[((s + 1u) * B + b) * H + j - H];
  }
  second[direction.joinedOffset + i] = value;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn splitDirections(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = invocation(id, groups);
  let H = direction.hiddenSize;
  let B = direction.batch;
  if (i >= direction.timeSteps * B * H) { return; }
  let j = i % H;
  let row = i / H; // t·B + b: slot t+1 of both directions
  let t = row / B;
  let b = row % B;
  let dy = direction.joinedOffset;
  first[i + B * H] = source[dy + row * 2u * H + j];
  var reverseGradient = 0.0;
  if (direction.summary == 1u) {
    if (t == lengths[b] - 1u) { reverseGradient = source[dy + row * 2u * H + H + j]; }
  } else {
    reverseGradient = source[dy + (reversedTime(t, b) * B + b) * 2u * H + H + j];
  }
  second[i + B * H] = reverseGradient;
}
