// reverseRows (see bidirectional.wgsl, which comes first in this module).
@group(0) @binding(1) var<storage, read> rowsIn: array<u32>;
@group(0) @binding(2) var<storage, read_write> rowsOut: array<u32>;
@group(0) @binding(3) var<uniform> reverse: ReverseUniforms;

@compute @workgroup_size(WORKGROUP_SIZE)
fn reverseRows(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = invocation(id, groups);
  if (i >= reverse.timeSteps * reverse.batch * reverse.width) { return; }
  let row = i / reverse.width;
  let column = i % reverse.width;
  let t = row / reverse.batch;
  let b = row % reverse.batch;
  let source = rowsIn[reverse.inputOffset + (reversedTime(t, b) * reverse.batch + b) * reverse.width + column];
  let destination = reverse.outputOffset + i;
  if (reverse.accumulate == 1u) {
    rowsOut[destination] = bitcast<u32>(bitcast<f32>(rowsOut[destination]) + bitcast<f32>(source));
  } else {
    rowsOut[destination] = source;
  }
}
