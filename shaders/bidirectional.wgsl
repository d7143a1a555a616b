// Bidirectional layers: the reverse direction runs the ordinary layer kernels on a copy of
// its input with each sequence reversed within its own length (as packed sequences run),
// and these kernels move rows between the two time orders. With len_b the length of
// sequence b (T when a batch has no lengths):
//   rev(t, b) = len_b − 1 − t  for t < len_b,   t  for t ≥ len_b     (rev ∘ rev = identity)
//
// reverseRows:      out[t, b, :] (=|+=) in[rev(t, b), b, :]          rows of `width` words
//                   (u32 storage, so token ids move too; accumulate adds them as f32)
// joinDirections:   y[t, b] = [h^fwd_t, h^rev_{rev(t, b)}]          [T·B, 2H], from the two
//                   layers' state buffers (slot s+1 = h_s); with `summary` (many-to-one)
//                   the reverse half is the reverse direction's final state h^rev_{len_b − 1}
// splitDirections:  dh^fwd_t = dy[t, b, :H],  dh^rev_s = dy[rev(s, b), b, H:]   (slots s+1),
//                   with `summary`: dh^rev_s = dy[len_b − 1, b, H:] at s = len_b − 1, else 0

override WORKGROUP_SIZE: u32 = 64u;

struct ReverseUniforms {
  timeSteps: u32,
  batch: u32,
  width: u32,        // words per row
  inputOffset: u32,
  outputOffset: u32,
  accumulate: u32,   // 1: out += in (as f32)
}

struct DirectionUniforms {
  timeSteps: u32,
  batch: u32,
  hiddenSize: u32,   // H
  summary: u32,      // 1: the reverse half is the final reverse state (many-to-one)
  joinedOffset: u32, // first element of y (join) or dy (split)
}

@group(0) @binding(0) var<storage, read> lengths: array<u32>;

fn reversedTime(t: u32, b: u32) -> u32 {
  let length = lengths[b];
  return select(t, length - 1u - t, t < length);
}

fn invocation(id: vec3<u32>, groups: vec3<u32>) -> u32 {
  return id.x + id.y * groups.x * WORKGROUP_SIZE;
}
