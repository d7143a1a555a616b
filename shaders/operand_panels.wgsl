// Packs a product's opB [K, N] into column panels of an operand texture
// (operand_texture.wgsl), the layout matmul_texture_operands.wgsl reads: panel p
// holds columns p·P .. p·P + P − 1 (P = PANEL_WIDTH, the register tile's
// workgroup width, 32·COLUMN_BLOCKS) for every k, K rows of P/4 texels one after
// the other, so
//   texel(k, c) = (c / P)·K·(P/4) + k·(P/4) + (c mod P) / 4   holds opB[k, c .. c + 3].
// A workgroup of the register-tile core then reads one run of P/4 texels per k
// where B stored [K, N] spreads its columns over rows of N/4 texels, and B stored
// [N, K] (Bᵀ) over P rows of K/4: on llvmpipe the core's loads run along memory
// instead of across it. Columns past N (the last panel's padding) are zeros; the
// core discards their products.
//
// One invocation per 4 x 4 block (k .. k + 3, c .. c + 3), ordered panel, then k,
// then column within the panel: it reads the block as four vec4s (rows of B stored
// [K, N], or columns of B stored [N, K], transposed) and stores its four rows.
// K and N are multiples of 4 and the source offset and row length too
// (matmul-choice.ts vec4Operands).

struct PanelUniforms {
  k: u32,
  n: u32,
  panelWidth: u32,   // P: columns per panel, a multiple of 4
  sourceOffset: u32, // words, a multiple of 4
  transposed: u32,   // 1: B stored [N, K]
  blocks: u32,       // panels · (K / 4) · (P / 4)
  gridWidth: u32,    // invocations per row of the dispatch grid
}

@group(0) @binding(0) var<storage, read> source: array<vec4<f32>>;
@group(0) @binding(1) var packed: texture_storage_2d<rgba32float, write>;
@group(0) @binding(2) var<uniform> u: PanelUniforms;

@compute @workgroup_size(64)
fn packPanels(@builtin(global_invocation_id) id: vec3<u32>) {
  let block = id.x + id.y * u.gridWidth;
  if (block >= u.blocks) { return; }
  let quads = u.panelWidth / 4u; // texels per panel row
  let panelBlocks = (u.k / 4u) * quads;
  let panel = block / panelBlocks;
  let within = block % panelBlocks;
  let k = 4u * (within / quads);
  let quad = within % quads;
  let col = panel * u.panelWidth + 4u * quad;
  // rows[j] = opB[k + j, col .. col + 3]
  var rows = mat4x4<f32>();
  if (col < u.n) {
    // Words between rows of the source: K for B stored [N, K], N for [K, N].
    let rowLength = select(u.n, u.k, u.transposed != 0u);
    let step = rowLength / 4u;
    if (u.transposed != 0u) {
      // B stored [N, K]: column col + i's steps k .. k + 3 are one vec4; the block is their transpose.
      let base = (u.sourceOffset + col * rowLength + k) / 4u;
      rows = transpose(mat4x4<f32>(source[base], source[base + step], source[base + 2u * step], source[base + 3u * step]));
    } else {
      // B stored [K, N]: step k + j's columns col .. col + 3 are one vec4.
      let base = (u.sourceOffset + k * rowLength + col) / 4u;
      rows = mat4x4<f32>(source[base], source[base + step], source[base + 2u * step], source[base + 3u * step]);
    }
  }
  let first = panel * u.k * quads + k * quads + quad;
  textureStore(packed, operandTexel(first), rows[0]);
  textureStore(packed, operandTexel(first + quads), rows[1]);
  textureStore(packed, operandTexel(first + 2u * quads), rows[2]);
  textureStore(packed, operandTexel(first + 3u * quads), rows[3]);
}
