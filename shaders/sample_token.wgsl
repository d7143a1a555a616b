// Draws the next token on the GPU from the logits of one position, so that text
// generation runs many steps in one submission without reading anything back:
//   the k largest logits are kept (top-k; ties at the k-th value kept too),
//   p_c ∝ exp((z_c − max z) / temperature) over them,
//   u = (pcg(key ^ n) >> 8) / 2^24 with n the tokens drawn so far, and the token is
//   the first c whose cumulative weight exceeds u·Σ.
// It writes the token to the next step's input and to generated[n], then n += 1.
// One invocation: generation draws one token per step, over a vocabulary of
// characters; top-k selection costs O(V·k), none when k ≥ V.

struct SampleUniforms {
  classes: u32,
  logitsOffset: u32,
  topK: u32,
  key: u32,
  inverseTemperature: f32,
}

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read_write> nextInput: array<u32>;
@group(0) @binding(2) var<storage, read_write> generated: array<u32>; // [0] = n, then the tokens
@group(0) @binding(3) var<uniform> u: SampleUniforms;

fn pcgHash(value: u32) -> u32 {
  let state = value * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

@compute @workgroup_size(1)
fn sampleToken() {
  let base = u.logitsOffset;
  // The k-th largest logit, by repeated maxima below the last one (O(V·k)); with k ≥ V every
  // logit is kept and the selection is skipped (O(V)).
  var cutoff = 3.4028234e38;
  var kept = 0u;
  if (u.topK >= u.classes) { cutoff = -3.4028234e38; kept = u.topK; }
  loop {
    if (kept >= u.topK) { break; }
    var below = -3.4028234e38;
    var found = false;
    for (var c = 0u; c < u.classes; c++) {
      let z = logits[base + c];
      if (z < cutoff && z >= below) { below = z; found = true; }
    }
    if (!found) { break; }
    for (var c = 0u; c < u.classes; c++) { if (logits[base + c] == below) { kept += 1u; } }
    cutoff = below;
  }
  var largest = -3.4028234e38;
  for (var c = 0u; c < u.classes; c++) { largest = max(largest, logits[base + c]); }
  var total = 0.0;
  for (var c = 0u; c < u.classes; c++) {
    let z = logits[base + c];
    if (z >= cutoff) { total += exp((z - largest) * u.inverseTemperature); }
  }
  let n = generated[0];
  var remaining = f32(pcgHash(u.key ^ n) >> 8u) * (1.0 / 16777216.0) * total;
  var token = 0u;
  for (var c = 0u; c < u.classes; c++) {
    let z = logits[base + c];
    if (z < cutoff) { continue; }
    token = c;
    remaining -= exp((z - largest) * u.inverseTemperature);
    if (remaining < 0.0) { break; }
  }
  nextInput[0] = token;
  generated[n + 1u] = token;
  generated[0] = n + 1u;
}
