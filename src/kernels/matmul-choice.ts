/**
 * Which matmul core and schedule a product runs on (by shape and kind of adapter),
 * its workgroup grid, and the pipeline keys of the matmul and fused RNN-step kernels.
 */
import type { BufferSlice } from './dispatch-plan.ts';
import { OPERAND_TEXTURE_WIDTH, operandTextureRows } from './operand-texture-layout.ts';
import { MATMUL_LARGE_TILE, MATMUL_TILE } from './registry.ts';

export interface MatmulArgs {
  /** opA(A) is [m, k]: A stored [m, k], or [k, m] when transposeA. */
  a: BufferSlice;
  /** opB(B) is [k, n]: B stored [k, n], or [n, k] when transposeB. */
  b: BufferSlice;
  c: BufferSlice;
  m: number;
  n: number;
  k: number;
  transposeA?: boolean;
  transposeB?: boolean;
  /** Up to two bias vectors of length n in one buffer, added to every row. */
  bias?: { buffer: GPUBuffer; offsets: number[] };
  /** C += product instead of C = product. */
  accumulate?: boolean;
  /** Forces a matmul core (tests, benchmarks); by default `matmulVariant` chooses by shape. */
  variant?: MatmulVariant;
  /**
   * Aᵀ·B only: splits K into chunks of this many rows, one dispatch each, every chunk after the first
   * adding into C (tests, benchmarks); by default `matmulKChunk` chooses. 0: one dispatch.
   */
  kChunk?: number;
  /**
   * Register-tile cores only: read the operands as vec4s (default: wherever vec4Operands allows it);
   * false forces word loads (tests, benchmarks).
   */
  vec4?: boolean;
  /**
   * vec4 register-tile products only: read A and B from operand textures (default: where the adapter
   * prefers them: on llvmpipe, KernelSet.llvmpipe); true or false forces the choice (tests, benchmarks).
   */
  textures?: boolean;
  /**
   * Compute the product as its transpose, Cᵀ = opB(B)ᵀ·opA(A)ᵀ, writing C through a transposed store
   * (the same sums in the same order, so the same bits): by default where transposedOutput chooses it;
   * true or false forces the choice where the product allows it (tests, benchmarks).
   */
  transposeC?: boolean;
  /**
   * B is one run that many products read while it is unchanged (the recurrent weights, at every time
   * step): on operand textures an A·B or A·Bᵀ product in one dispatch then reads it packed once into
   * column panels as wide as its tile (panelsKey), so that each workgroup's loads of B run along memory
   * (bench/README.md); the packing reads B once, which a product alone would not repay.
   */
  sharedB?: boolean;
}

/**
 * 'small': 32 x 32 tiles, 4 x 4 per invocation (matmul_tile.wgsl); 'large': 64 x 64 tiles, 8 x 8 per
 * invocation (matmul_tile_large.wgsl); 'registerRxC': R x C per invocation, 8 invocations sharing the R rows
 * (matmul_register_tile.wgsl), a workgroup tile of R x 8·C.
 */
export type MatmulVariant = 'small' | 'large' | RegisterTile;

/** Register tiles of matmul_register_tile.wgsl: rows x columns per invocation, as [ROW_BLOCKS, COLUMN_BLOCKS] of 4 x 4. */
export const REGISTER_TILES = {
  register16x16: [4, 4],
  register12x16: [3, 4],
  register8x16: [2, 4],
  register8x8: [2, 2],
} as const satisfies Record<string, readonly [number, number]>;
export type RegisterTile = keyof typeof REGISTER_TILES;

export const MATMUL_VARIANTS: readonly MatmulVariant[] = ['small', 'large', ...(Object.keys(REGISTER_TILES) as RegisterTile[])];

/** The workgroup grid of a matmul variant for C [m, n]: [column tiles, row tiles]. */
export function matmulGrid(variant: MatmulVariant, m: number, n: number): [number, number] {
  if (variant === 'small' || variant === 'large') {
    const tile = variant === 'large' ? MATMUL_LARGE_TILE : MATMUL_TILE;
    return [Math.ceil(n / tile), Math.ceil(m / tile)];
  }
  const [rowBlocks, columnBlocks] = REGISTER_TILES[variant];
  return [Math.ceil(n / (32 * columnBlocks)), Math.ceil(m / (4 * rowBlocks))];
}

/**
 * The matmul core for a shape, chosen by measurement on llvmpipe and SwiftShader (bench/matmul-cores.ts,
 * GFLOP per CPU-second with the cores interleaved): the register-tile core beats both workgroup-memory
 * cores on every product of the bench's configs, 1.7–3.3x on llvmpipe and 1.8–2.6x on SwiftShader, most
 * with the first tile of its adapter's preference (registerTilePreference). Products too small for 4
 * workgroups of that tile (the per-step products at batch 32) take the next tile that gives 4, so that
 * every core of a CPU adapter gets work; K does not change the choice, except for the weight gradients over all T·B rows
 * (Aᵀ·B with K ≥ LONG_K), which see matmulKChunk.
 * Products whose operands cannot be read as vec4s (`vec4` false: sizes or T·B not multiples of 4; the
 * head's can, whatever V is, see headRows in parameter-layout.ts) take WORD_TILE whatever their shape on
 * SwiftShader, which compiles a 16 x 16 word-load pipeline in 10–25 s (its vec4 twin in 3–9 s; a model
 * compiles every core it may choose); on llvmpipe (`llvmpipe`, where a pipeline compiles in a fraction of
 * a second) they choose among the tiles as vec4 products do: the 16 x 16 word tile ran the head's products
 * (before headRows) 1.3–1.7x faster than 8 x 8 there.
 * A GPU (`cpuAdapter` false) keeps the workgroup-memory cores, which suit it: 8-invocation workgroups
 * without shared tiles would leave most of a GPU idle; the large core once m and n exceed a small tile.
 */
export function matmulVariant(m: number, n: number, _k: number, cpuAdapter = true, vec4 = true, llvmpipe = false): MatmulVariant {
  if (!cpuAdapter) return m > MATMUL_TILE && n > MATMUL_TILE ? 'large' : 'small';
  if (!vec4 && !llvmpipe) return WORD_TILE;
  const preference = registerTilePreference(llvmpipe);
  for (const tile of preference) {
    const [x, y] = matmulGrid(tile, m, n);
    if (x * y < MIN_WORKGROUPS) continue;
    // The 12-row tile only where its rows waste next to nothing more than 8-row tiles' (not at batch 64).
    if (tile === 'register12x16' && 12 * Math.ceil(m / 12) > 1.02 * 8 * Math.ceil(m / 8)) continue;
    return tile;
  }
  return preference[preference.length - 1];
}

/** Workgroups a product should have at least (two per core of a two-core CPU adapter). */
const MIN_WORKGROUPS = 4;
/**
 * Register tiles the choice takes, fastest first: on SwiftShader the largest (16 x 16 ran the lstm-l and
 * 512³ products 5–20% faster per CPU-second than 8 x 16); on llvmpipe, whose operands come from operand
 * textures, 12 x 16 then 8 x 16 (192 and 128 accumulators per invocation where 16 x 16 has 256, all far more
 * than the 32 vector registers, so that each multiply-add also reloads and stores one: 8 x 16 ran 512³ and the
 * weight gradients 15–25% faster per CPU-second than 16 x 16, and 12 x 16, with 1.3x the multiply-adds per
 * load of 8 x 16, the products of many rows another 4–12%; bench/README.md). The 12-row tile is skipped
 * where it would pad the rows more than 8-row tiles do (the per-step products at batch 64).
 */
const REGISTER_TILE_PREFERENCE: readonly RegisterTile[] = ['register16x16', 'register8x16', 'register8x8'];
const LLVMPIPE_TILE_PREFERENCE: readonly RegisterTile[] = ['register12x16', 'register8x16', 'register8x8'];

function registerTilePreference(llvmpipe: boolean): readonly RegisterTile[] {
  return llvmpipe ? LLVMPIPE_TILE_PREFERENCE : REGISTER_TILE_PREFERENCE;
}
/** The register tile of products read with word loads, but on llvmpipe (see matmulVariant). */
const WORD_TILE: RegisterTile = 'register8x8';

/**
 * The fused RNN step's register tile (rnn_step.wgsl on matmul_register_tile.wgsl): 8 x 8 per invocation,
 * so that a batch-32, H-128 step still has 8 workgroups.
 */
export const RNN_STEP_TILE: RegisterTile = 'register8x8';

/** Register tiles only llvmpipe's choice takes (isLlvmpipe): other adapters never compile them. */
export const LLVMPIPE_ONLY_TILES: readonly RegisterTile[] = ['register12x16'];

/** Every core matmulVariant can choose, on either kind of adapter. */
export const CHOSEN_MATMUL_VARIANTS: readonly MatmulVariant[] = ['small', 'large', ...new Set([...REGISTER_TILE_PREFERENCE, ...LLVMPIPE_TILE_PREFERENCE])];

/**
 * The matmul pipeline keys a model may dispatch on a kind of adapter, for the transposes
 * its products use (A·Bᵀ, Aᵀ·B, A·B): the register-tile cores with word and vec4 loads on
 * a CPU adapter, the workgroup-memory cores on a GPU (what matmulVariant and vec4Operands
 * can choose there). On llvmpipe (`llvmpipe`) the vec4 cores read operand textures and the
 * word loads take every tile; elsewhere on a CPU adapter WORD_TILE alone takes word loads.
 */
export function matmulKeysFor(cpuAdapter: boolean, llvmpipe = false): string[] {
  const vec4Tiles = registerTilePreference(llvmpipe);
  const wordTiles = llvmpipe ? vec4Tiles : [WORD_TILE];
  const cores: [MatmulVariant, boolean][] = cpuAdapter
    ? [...wordTiles.map((tile): [MatmulVariant, boolean] => [tile, false]), ...vec4Tiles.map((tile): [MatmulVariant, boolean] => [tile, true])]
    : [['small', false], ['large', false]];
  // On llvmpipe every vec4 product reads operand textures (operandsFitTextures falls back to word loads),
  // its A·Bᵀ and Aᵀ·B products may store C transposed (transposedOutput), and the per-step products that
  // share their B (MatmulArgs.sharedB) read it packed in column panels (panelsKey).
  const keys = cores.flatMap(([variant, vec4]) => {
    const textures = vec4 && llvmpipe;
    const keys = [matmulKey(variant, false, true, vec4, textures), matmulKey(variant, true, false, vec4, textures), matmulKey(variant, false, false, vec4, textures)];
    if (textures) keys.push(matmulKey(variant, false, true, vec4, textures, true), matmulKey(variant, true, false, vec4, textures, true), panelsKey(variant as RegisterTile));
    return keys;
  });
  return cpuAdapter && llvmpipe ? [...keys, PACK_PANELS_KEY] : keys;
}

/**
 * Whether a product reads its B from column panels (panelsKey): a shared B (MatmulArgs.sharedB) of an
 * A·B or A·Bᵀ product on operand textures, in one dispatch (not K chunks), C stored as it is.
 */
export function readsPanels(onTextures: boolean, sharedB: boolean, transposeA: boolean, chunked: boolean, transposeC: boolean): boolean {
  return onTextures && sharedB && !transposeA && !chunked && !transposeC;
}

/** The pipeline key of the kernel that packs a texture-operand product's B into column panels (operand_panels.wgsl). */
export const PACK_PANELS_KEY = 'packPanels';

/**
 * The pipeline key of a register tile reading A from an operand texture and B packed in column panels
 * (PACKED_B, operand_panels.wgsl), whichever way B is stored: the A·B and A·Bᵀ products that share
 * their B (MatmulArgs.sharedB).
 */
export function panelsKey(variant: RegisterTile): string {
  return `matmul ${variant} N· panels textures`;
}

/** Columns per panel of B for a register tile on operand textures: its workgroup's width, 32·COLUMN_BLOCKS. */
export function panelWidth(variant: RegisterTile): number {
  return 32 * REGISTER_TILES[variant][1];
}

/** Vec4s (texels) of `rows` rows of opB [rows, n] packed in panels `width` columns wide (the last one padded). */
export function panelTexels(rows: number, n: number, width: number): number {
  return Math.ceil(n / width) * rows * (width / 4);
}

/**
 * Whether an adapter is llvmpipe (Mesa's, reached through Dawn's OpenGL ES backend), whose matmul
 * choices differ from other CPU adapters' (KernelSet.llvmpipe): the vec4 products read their operands
 * from operand textures (operand-textures.ts, read-only storage textures), because a texture load is a
 * gather of the SIMD lanes there and a storage-buffer load a loop over them with a branch per lane and component (Mesa 22.3's
 * gallivm): the register-tile core runs 1.4–1.9x faster per CPU-second with both operands in textures
 * (bench/README.md), and the copies into them are memcpys. SwiftShader, whose storage loads are vector
 * gathers already, gains nothing from them (measured); GPUs keep their workgroup-memory cores. And
 * word products take any register tile (see matmulVariant).
 */
export function isLlvmpipe(info: GPUAdapterInfo | undefined): boolean {
  if (!info) return false;
  return /llvmpipe/i.test(`${info.vendor} ${info.architecture} ${info.description}`) || (!info.vendor && /OpenGL.*Mesa/i.test(info.description));
}

/**
 * Whether operands of `words` words each fit an operand texture on this device (rows of
 * OPERAND_TEXTURE_WIDTH vec4s within maxTextureDimension2D); products whose operands do not
 * take word loads from the storage buffers. (B's words counted with its panels' padding.)
 */
export function operandsFitTextures(limits: GPUSupportedLimits, ...words: number[]): boolean {
  return limits.maxTextureDimension2D >= OPERAND_TEXTURE_WIDTH && words.every((count) => operandTextureRows(count / 4) <= limits.maxTextureDimension2D);
}

/**
 * Whether an adapter runs its "GPU" work on the CPU (SwiftShader, llvmpipe, lavapipe, WARP): the
 * register-tile core and K chunks are chosen there. Dawn's OpenGL ES adapter over llvmpipe names
 * itself only "OpenGL … Mesa …" with no vendor; the engine reaches OpenGL ES only for llvmpipe.
 */
export function isCpuAdapter(info: GPUAdapterInfo | undefined): boolean {
  if (!info) return false;
  return isLlvmpipe(info) || /swiftshader|lavapipe|softpipe|warp/i.test(`${info.vendor} ${info.architecture} ${info.description}`);
}

/**
 * How KernelSet.matmul runs a product by default (its operands at offset 0): its core, whether it reads
 * vec4s (from textures; B from panels where `sharedB`), K rows per dispatch, dispatches and workgroups per dispatch.
 */
export function matmulSchedule(m: number, n: number, k: number, transposeA = false, transposeB = false, cpuAdapter = true, llvmpipe = false, sharedB = false) {
  const kChunk = (transposeA && !transposeB && cpuAdapter ? matmulKChunk(m, n, k) : 0) || k;
  const atZero = { buffer: {} as GPUBuffer, offset: 0 };
  const vec4 = cpuAdapter && vec4Operands({ a: atZero, b: atZero, c: atZero, m, n, k, transposeA }, kChunk);
  const transposeC = transposedOutput(m, n, transposeA, transposeB, vec4, llvmpipe);
  const variant = transposeC ? matmulVariant(n, m, k, cpuAdapter, vec4, llvmpipe) : matmulVariant(m, n, k, cpuAdapter, vec4, llvmpipe);
  const [x, y] = transposeC ? matmulGrid(variant, n, m) : matmulGrid(variant, m, n);
  const textures = vec4 && llvmpipe && isRegisterTile(variant);
  const panels = readsPanels(textures, sharedB, transposeA, kChunk < k, transposeC);
  return { variant, vec4, textures, panels, transposeC, kChunk, dispatches: Math.ceil(k / kChunk), workgroups: x * y };
}

/**
 * Rows of K per dispatch for Aᵀ·B (0: all in one); see MatmulArgs.kChunk. The weight gradients sum over
 * all T·B rows (K in the thousands): on llvmpipe, dispatches of 256 rows each (later ones adding into C)
 * run 1.5–2x faster than one dispatch over all of K (bench/matmul-cores.ts, lstm-m and lstm-l): each
 * dispatch's slices of A and B stay in cache while all its workgroups read them.
 */
export function matmulKChunk(_m: number, _n: number, k: number): number {
  return k > LONG_K ? K_CHUNK : 0;
}

/** Aᵀ·B products with more K rows than this are split into chunks of K_CHUNK rows. */
const LONG_K = 512;
const K_CHUNK = 256;

/** The pipeline key of the fused RNN step; `vec4`: its buffers bound as vec4s (rnn_step_register_loads_vec4.wgsl). */
export function rnnStepKey(backward: boolean, relu: boolean, vec4 = false): string {
  return `rnnStep ${backward ? 'backward' : 'forward'} ${relu ? 'relu' : 'tanh'}${vec4 ? ' vec4' : ''}`;
}

/**
 * The pipeline key of a matmul core; `vec4`: the register-tile core reading its operands as vec4s;
 * `textures`: those vec4s from operand textures; `transposeC`: that core storing C transposed
 * (TRANSPOSE_C, see transposedOutput).
 */
export function matmulKey(variant: MatmulVariant, transposeA: boolean, transposeB: boolean, vec4 = false, textures = false, transposeC = false): string {
  return `matmul ${variant} ${transposeA ? 'T' : 'N'}${transposeB ? 'T' : 'N'}${vec4 && transposeC ? ' Cᵀ' : ''}${vec4 ? (textures ? ' textures' : ' vec4') : ''}`;
}

/**
 * Whether KernelSet.matmul runs C [m, n] = opA(A)·opB(B) as its transpose Cᵀ = opB(B)ᵀ·opA(A)ᵀ, an
 * [n, m] product with the operands' roles swapped, storing it into C transposed: on llvmpipe, for
 * vec4 products (m and n multiples of 4) whose tiles cover at most 3/4 as many elements that way
 * (computed ones included). A register tile is 128 columns wide and 8 or 16 rows high, so a narrow
 * product (the head's forward h·W_yᵀ, n = V′ = 68 at V = 65, or a weight gradient of a small hidden
 * size) runs with its n across the tiles' rows: the head's forward computes 72 rows per 68 where it
 * computed 128 columns per 68 (from 34–36% of the ALU ceiling to 36–43%, bench/README.md).
 * Only A·Bᵀ and Aᵀ·B, whose transposes are again A·Bᵀ and Aᵀ·B (the pipelines a model compiles); and
 * not on SwiftShader, where every pipeline more costs seconds of compilation.
 */
export function transposedOutput(m: number, n: number, transposeA: boolean, transposeB: boolean, vec4: boolean, llvmpipe: boolean): boolean {
  if (!llvmpipe || !vec4 || transposeA === transposeB || m % 4 !== 0 || n % 4 !== 0) return false;
  return 4 * paddedArea(n, m, llvmpipe) <= 3 * paddedArea(m, n, llvmpipe);
}

/** The elements C [m, n] occupies when its register tile (matmulVariant's choice) covers it. */
function paddedArea(m: number, n: number, llvmpipe: boolean): number {
  const variant = matmulVariant(m, n, 0, true, true, llvmpipe) as RegisterTile;
  const [rowBlocks, columnBlocks] = REGISTER_TILES[variant];
  const [x, y] = matmulGrid(variant, m, n);
  return x * 32 * columnBlocks * y * 4 * rowBlocks;
}

/** Whether a variant is one of the register-tile cores (matmul_register_tile.wgsl). */
export function isRegisterTile(variant: MatmulVariant): variant is RegisterTile {
  return variant in REGISTER_TILES;
}

/**
 * Whether the register-tile core may bind every buffer as vec4s (matmul_register_loads_vec4.wgsl): the
 * element offsets of A, B, C and the biases, K (and so every K chunk of kChunk rows), n (the row length of
 * C and of B stored [k, n]) and m where A is stored [k, m] (Aᵀ) are multiples of 4; A stored [m, k] and B
 * stored [n, k] are read along K. Every product of a model whose sizes and T·B are multiples of 4
 * qualifies, the head's included (its rows are headRows(V), a multiple of 4).
 */
export function vec4Operands(args: Pick<MatmulArgs, 'a' | 'b' | 'c' | 'bias' | 'm' | 'n' | 'k' | 'transposeA'>, kChunk: number): boolean {
  const multiplesOf4 = [args.a.offset, args.b.offset, args.c.offset, ...(args.bias?.offsets ?? []), args.k, kChunk, args.n, args.transposeA ? args.m : 0];
  return multiplesOf4.every((value) => value % 4 === 0);
}
