// GRU cell, elementwise part of one time step. The input part a_x = W_ih x_t + b_ih
// (all t at once) and the recurrent part a_h = W_hh h_{t−1} + b_hh (this step's
// matmul) arrive separately, gates stacked r, z, n (PyTorch order), because the
// reset gate multiplies the recurrent part of n only, b_hn included:
//
// Forward:   r = σ(a_xr + a_hr)   z = σ(a_xz + a_hz)   n = tanh(a_xn + r ⊙ a_hn)
//            h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
//            r, z, n overwrite a_x (kept for backward); a_h is kept as it is.
//
// Backward, with dh = dL/dh_t (from above and from step t+1):
//            dn  = dh ⊙ (1 − z)              dz = dh ⊙ (h_{t−1} − n)
//            da_n = dn ⊙ (1 − n²)             (gradient of tanh's argument)
//            da_r = da_n ⊙ a_hn ⊙ r(1 − r)    da_z = dz ⊙ z(1 − z)
//            dL/da_x = [da_r, da_z, da_n]      dL/da_h = [da_r, da_z, da_n ⊙ r]
//            dL/dh_{t−1} gets dh ⊙ z here, and dL/da_h · W_hh from the next dispatch.
//
// Buffers: `saved` holds a_x (then r, z, n) [T, B, 3H] followed by a_h [T, B, 3H];
// `stepStates` is the hidden states [T+1, B, H] (forward) or their gradients
// (backward); `states` (backward) the hidden states; `work` (backward) holds
// dL/da_x [T, B, 3H] followed by dL/da_h [T, B, 3H].
//
// This file holds the formulas, on four hidden units at once (lane k is unit j + k);
// gru_cell_words.wgsl runs them one unit per invocation (its value in every lane),
// gru_cell_vec4.wgsl four units per invocation with the buffers bound as vec4s.

override WORKGROUP_SIZE: u32 = 64u;

struct GruUniforms {
  batch: u32,
  hiddenSize: u32,
  inputPartOffset: u32,     // a_x of step t in `saved`; dL/da_x of step t in `work`
  recurrentPartOffset: u32, // a_h of step t in `saved`; dL/da_h of step t in `work`
  previousOffset: u32,      // h_{t−1} (forward: in `stepStates`, h_t follows B·H later; backward: in `states`)
  gradientOffset: u32,      // backward: dL/dh_t in `stepStates`; dL/dh_{t−1} is B·H earlier
}

struct GruForwardStep {
  r: vec4<f32>,
  z: vec4<f32>,
  n: vec4<f32>,
  hidden: vec4<f32>, // h_t
}

// From the input parts a_x, the recurrent parts a_h and h_{t−1}.
fn gruForwardStep(inputR: vec4<f32>, inputZ: vec4<f32>, inputN: vec4<f32>, recurrentR: vec4<f32>, recurrentZ: vec4<f32>, recurrentN: vec4<f32>, previous: vec4<f32>) -> GruForwardStep {
  let r = stableSigmoid4(inputR + recurrentR);
  let z = stableSigmoid4(inputZ + recurrentZ);
  let n = stableTanh4(inputN + r * recurrentN);
  return GruForwardStep(r, z, n, (1.0 - z) * n + z * previous);
}

struct GruBackwardStep {
  daR: vec4<f32>,
  daZ: vec4<f32>,
  daN: vec4<f32>,                // dL/da_xn
  daRecurrentN: vec4<f32>,       // dL/da_hn = da_n ⊙ r
  dPreviousFromGate: vec4<f32>,  // dh ⊙ z, this step's part of dL/dh_{t−1}
}

// From the saved r, z, n, the recurrent part a_hn, h_{t−1} and dh = dL/dh_t.
fn gruBackwardStep(r: vec4<f32>, z: vec4<f32>, n: vec4<f32>, recurrentN: vec4<f32>, previous: vec4<f32>, dh: vec4<f32>) -> GruBackwardStep {
  let dn = dh * (1.0 - z);
  let dz = dh * (previous - n);
  let daN = dn * (1.0 - n) * (1.0 + n);
  let daR = daN * recurrentN * r * (1.0 - r);
  let daZ = dz * z * (1.0 - z);
  return GruBackwardStep(daR, daZ, daN, daN * r, dh * z);
}
