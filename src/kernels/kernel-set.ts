/**
 * Every pipeline the engine uses, built once per device, with workgroup sizes
 * taken from the device's limits, and one function per op that adds its
 * dispatch to a plan. Op functions check sizes; they trust buffers to be large
 * enough (the model allocates them from the same sizes).
 */
import { type BufferSlice, type DispatchHandle, type DispatchPlan, gridFor } from './dispatch-plan.ts';
import { type Kernel, type KernelConstants, pipelineCacheFor } from './pipeline-cache.ts';
import { type KernelName, MATMUL_LARGE_TILE, MATMUL_TILE, UNIFORM_LAYOUTS as L } from './registry.ts';
import { packUniforms } from './uniforms.ts';

const NONE = 0xffffffff;
/** The target value the loss kernels skip (IGNORED in softmax_cross_entropy.wgsl). */
export const IGNORED_TARGET = 0xffffffff;
/** Up to this many classes, softmax cross-entropy runs one invocation per row; above, one workgroup per row. */
export const PER_ROW_SOFTMAX_MAX_CLASSES = 2048;
const ELEMENTWISE_WORKGROUP = 64;

/** Largest power of two within the device's per-workgroup limits, at most 256 (reductions need a power of two). */
export function reductionWorkgroupSize(limits: GPUSupportedLimits): number {
  const cap = Math.min(256, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
  return 2 ** Math.floor(Math.log2(cap));
}

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
 * with its largest tile (16 x 16 per invocation). Products too small for 4 workgroups of that tile (the
 * per-step products at batch 32) take the largest smaller tile that gives 4, so that every core of a CPU
 * adapter gets work; K does not change the choice, except for the weight gradients over all T·B rows
 * (Aᵀ·B with K ≥ LONG_K), which see matmulKChunk.
 * A GPU (`cpuAdapter` false) keeps the workgroup-memory cores, which suit it: 8-invocation workgroups
 * without shared tiles would leave most of a GPU idle; the large core once m and n exceed a small tile.
 */
export function matmulVariant(m: number, n: number, _k: number, cpuAdapter = true): MatmulVariant {
  if (!cpuAdapter) return m > MATMUL_TILE && n > MATMUL_TILE ? 'large' : 'small';
  for (const tile of REGISTER_TILE_PREFERENCE) {
    const [x, y] = matmulGrid(tile, m, n);
    if (x * y >= MIN_WORKGROUPS) return tile;
  }
  return REGISTER_TILE_PREFERENCE[REGISTER_TILE_PREFERENCE.length - 1];
}

/** Workgroups a product should have at least (two per core of a two-core CPU adapter). */
const MIN_WORKGROUPS = 4;
/** Register tiles the choice takes, largest (fastest per loaded value) first. */
const REGISTER_TILE_PREFERENCE: readonly RegisterTile[] = ['register16x16', 'register8x16', 'register8x8'];

/**
 * The fused RNN step's register tile (rnn_step.wgsl on matmul_register_tile.wgsl): 8 x 8 per invocation,
 * so that a batch-32, H-128 step still has 8 workgroups.
 */
const RNN_STEP_TILE: RegisterTile = 'register8x8';

/** Every core matmulVariant can choose, on either kind of adapter (the pipelines a model compiles). */
export const CHOSEN_MATMUL_VARIANTS: readonly MatmulVariant[] = ['small', 'large', ...REGISTER_TILE_PREFERENCE];

/**
 * Whether an adapter runs its "GPU" work on the CPU (SwiftShader, llvmpipe, lavapipe, WARP): the
 * register-tile core and K chunks are chosen there. Dawn's OpenGL ES adapter over llvmpipe names
 * itself only "OpenGL … Mesa …" with no vendor; the engine reaches OpenGL ES only for llvmpipe.
 */
export function isCpuAdapter(info: GPUAdapterInfo | undefined): boolean {
  if (!info) return false;
  const names = `${info.vendor} ${info.architecture} ${info.description}`;
  return /swiftshader|llvmpipe|lavapipe|softpipe|warp/i.test(names) || (!info.vendor && /OpenGL.*Mesa/i.test(info.description));
}

/** How KernelSet.matmul runs a product by default: its core, K rows per dispatch, dispatches and workgroups per dispatch. */
export function matmulSchedule(m: number, n: number, k: number, transposeA = false, transposeB = false, cpuAdapter = true) {
  const variant = matmulVariant(m, n, k, cpuAdapter);
  const kChunk = (transposeA && !transposeB && cpuAdapter ? matmulKChunk(m, n, k) : 0) || k;
  const [x, y] = matmulGrid(variant, m, n);
  return { variant, kChunk, dispatches: Math.ceil(k / kChunk), workgroups: x * y };
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

export interface RnnStepArgs {
  /** The nonlinearity: relu instead of tanh. */
  relu?: boolean;
  parameters: GPUBuffer;
  weightOffset: number;
  /** Forward: the hidden-state buffer. Backward: the state-gradient buffer. */
  states: GPUBuffer;
  sourceOffset: number;
  targetOffset: number;
  /** Backward only: the hidden states, and the offset of h_t. */
  saved?: BufferSlice;
  batch: number;
  hidden: number;
}

export class KernelSet {
  readonly device: GPUDevice;
  readonly reductionSize: number;
  private readonly kernels: Map<string, Kernel>;
  /** 16-byte buffers bound where a kernel's binding is unused by an entry point (two: writable bindings must not alias). */
  readonly placeholder: GPUBuffer;
  readonly secondPlaceholder: GPUBuffer;

  /** The matmul choices of a CPU adapter (isCpuAdapter) or of a GPU. */
  readonly cpuAdapter: boolean;

  private constructor(device: GPUDevice, kernels: Map<string, Kernel>, reductionSize: number) {
    this.device = device;
    this.cpuAdapter = isCpuAdapter((device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo);
    this.kernels = kernels;
    this.reductionSize = reductionSize;
    this.placeholder = device.createBuffer({ label: 'unused binding placeholder', size: 16, usage: GPUBufferUsage.STORAGE });
    this.secondPlaceholder = device.createBuffer({ label: 'second unused binding placeholder', size: 16, usage: GPUBufferUsage.STORAGE });
  }

  /** The kernel set of a device, built on first use and shared by every model on it. */
  static load(device: GPUDevice): Promise<KernelSet> {
    let kernels = kernelSets.get(device);
    if (!kernels) {
      kernels = Promise.resolve(new KernelSet(device, new Map(), reductionWorkgroupSize(device.limits)));
      kernelSets.set(device, kernels);
    }
    return kernels;
  }

  /**
   * Compiles the kernels a model will use (by key; ALL_KERNELS for every one), each once
   * per device: a model pays only for its own pipelines (on CPU adapters each costs a
   * compile of ~0.1–0.3 s).
   */
  async ensure(keys: readonly string[]): Promise<void> {
    const cache = pipelineCacheFor(this.device);
    const definitions = kernelDefinitions(this.reductionSize);
    await Promise.all(
      keys.map(async (key) => {
        if (this.kernels.has(key)) return;
        const definition = definitions.get(key);
        if (!definition) throw new Error(`No kernel named ${key}`);
        this.kernels.set(key, await cache.get(definition[0], definition[1]));
      }),
    );
  }

  private kernel(key: string): Kernel {
    const kernel = this.kernels.get(key);
    if (!kernel) throw new Error(`Kernel ${key} was not compiled: the model's kernel list (kernelsNeededBy) misses it`);
    return kernel;
  }

  private elementwiseGrid(count: number): number[] {
    return gridFor(Math.ceil(count / ELEMENTWISE_WORKGROUP), this.device.limits.maxComputeWorkgroupsPerDimension);
  }

  /** C (=|+=) opA(A)·opB(B) + bias. */
  matmul(plan: DispatchPlan, args: MatmulArgs, label: string): DispatchHandle {
    const { m, n, k } = args;
    for (const [name, value] of Object.entries({ m, n, k })) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`${label}: matmul ${name} must be a positive integer, got ${value}`);
    }
    const offsets = args.bias?.offsets ?? [];
    if (offsets.length > 2) throw new Error(`${label}: at most two bias vectors, got ${offsets.length}`);
    const variant = args.variant ?? matmulVariant(m, n, k, this.cpuAdapter);
    const transposeA = args.transposeA ?? false;
    const transposeB = args.transposeB ?? false;
    const chunk = transposeA && !transposeB ? (args.kChunk ?? (this.cpuAdapter ? matmulKChunk(m, n, k) : 0)) || k : k;
    const kernel = this.kernel(matmulKey(variant, transposeA, transposeB));
    const buffers = [args.a.buffer, args.b.buffer, args.bias?.buffer ?? this.placeholder, args.c.buffer];
    const grid = matmulGrid(variant, m, n);
    // Σ_k over chunks k0 .. k0 + chunk − 1: rows k0.. of Aᵀ (stored [k, m]) and of B (stored [k, n]).
    let handle = plan.add(kernel, buffers, matmulUniforms(m, n, Math.min(chunk, k), args.a.offset, args.b.offset, args.c.offset, offsets[0] ?? NONE, offsets[1] ?? NONE, args.accumulate ? 1 : 0), grid, label);
    for (let k0 = chunk; k0 < k; k0 += chunk) {
      const rows = Math.min(chunk, k - k0);
      handle = plan.add(kernel, buffers, matmulUniforms(m, n, rows, args.a.offset + k0 * m, args.b.offset + k0 * n, args.c.offset, NONE, NONE, 1), grid, `${label} (k from ${k0})`);
    }
    return handle;
  }

  /** Forward: states[target] = tanh(states[target] + states[source]·W_hhᵀ) (or relu). */
  rnnStepForward(plan: DispatchPlan, args: RnnStepArgs, label: string): DispatchHandle {
    return this.rnnStep(false, plan, args, label);
  }

  /** Backward: states[target] = (states[target] + states[source]·W_hh) ⊙ (1 − h_t²) (or ⊙ [h_t > 0]). */
  rnnStepBackward(plan: DispatchPlan, args: RnnStepArgs, label: string): DispatchHandle {
    if (!args.saved) throw new Error(`${label}: the backward step needs the saved hidden states`);
    return this.rnnStep(true, plan, args, label);
  }

  private rnnStep(backward: boolean, plan: DispatchPlan, args: RnnStepArgs, label: string): DispatchHandle {
    return plan.add(
      this.kernel(rnnStepKey(backward, args.relu ?? false)),
      [args.parameters, args.saved?.buffer ?? this.placeholder, args.states],
      packUniforms(L.rnnStep, { batch: args.batch, hidden: args.hidden, weightOffset: args.weightOffset, sourceOffset: args.sourceOffset, targetOffset: args.targetOffset, savedOffset: args.saved?.offset ?? 0 }),
      matmulGrid(RNN_STEP_TILE, args.batch, args.hidden),
      label,
    );
  }

  /** LSTM step t, elementwise: gate activations, c_t and h_t (see lstm_cell.wgsl). */
  lstmCellForward(plan: DispatchPlan, args: LstmCellArgs, label: string): DispatchHandle {
    return this.lstmCell('lstmCellForward', plan, args, label);
  }

  /** LSTM step t backward: dGates_t and dL/dc_{t−1} from dL/dh_t and dL/dc_t. */
  lstmCellBackward(plan: DispatchPlan, args: LstmCellArgs, label: string): DispatchHandle {
    if (!args.work) throw new Error(`${label}: the LSTM backward step needs its gradient buffer`);
    return this.lstmCell('lstmCellBackward', plan, args, label);
  }

  private lstmCell(key: string, plan: DispatchPlan, args: LstmCellArgs, label: string): DispatchHandle {
    return plan.add(
      this.kernel(key),
      [args.saved, args.hidden, args.work ?? this.placeholder],
      packUniforms(L.lstmCell, { batch: args.batch, hidden: args.hiddenSize, gatesOffset: args.gatesOffset, cellOffset: args.cellOffset, hiddenOffset: args.hiddenOffset, cellGradientOffset: args.cellGradientOffset ?? 0 }),
      this.elementwiseGrid(args.batch * args.hiddenSize),
      label,
    );
  }

  /** GRU step t, elementwise: r, z, n and h_t (see gru_cell.wgsl). */
  gruCellForward(plan: DispatchPlan, args: GruCellArgs, label: string): DispatchHandle {
    return plan.add(
      this.kernel('gruCellForward'),
      [this.placeholder, args.saved, args.stepStates, this.secondPlaceholder],
      gruUniforms(args, 0),
      this.elementwiseGrid(args.batch * args.hiddenSize),
      label,
    );
  }

  /** GRU step t backward: dL/da_x, dL/da_h, and dh ⊙ z into dL/dh_{t−1}. */
  gruCellBackward(plan: DispatchPlan, args: GruCellArgs, label: string): DispatchHandle {
    if (!args.states || !args.work || args.gradientOffset === undefined) {
      throw new Error(`${label}: the GRU backward step needs the hidden states, its gradient buffer and the gradient offset`);
    }
    return plan.add(
      this.kernel('gruCellBackward'),
      [args.states, args.saved, args.stepStates, args.work],
      gruUniforms(args, args.gradientOffset),
      this.elementwiseGrid(args.batch * args.hiddenSize),
      label,
    );
  }

  /**
   * The gradient norm, clipping (when maxNorm > 0) and the non-finite guard
   * (gradient_norm.wgsl): the norm goes to `normHistory`, and `guard` receives the
   * update's indirect dispatch size (0 when the loss or a gradient is not finite) and
   * the count of skipped steps. Returns the handle whose uniforms name the history
   * slot (normUniforms). `scratch` holds GRADIENT_NORM_SCRATCH words.
   */
  guardedGradientNorm(
    plan: DispatchPlan,
    args: { gradients: GPUBuffer; count: number; scratch: GPUBuffer; normHistory: GPUBuffer; lossHistory: GPUBuffer; guard: GPUBuffer; maxNorm: number; updateCount: number },
    label: string,
  ): DispatchHandle {
    const uniforms = normUniforms(args.count, args.maxNorm, 0, this.updateGrid(args.updateCount));
    plan.add(this.kernel('sumSquaresPartial'), [args.gradients, args.scratch, this.placeholder, this.secondPlaceholder], uniforms, [GRADIENT_NORM_PARTIALS], `${label}: partial sums of squares`);
    const finish = plan.add(this.kernel('finishNorm'), [args.lossHistory, args.scratch, args.normHistory, args.guard], uniforms, [1], `${label}: norm, clip coefficient and guard`);
    if (args.maxNorm > 0) {
      plan.add(this.kernel('scaleGradients'), [args.scratch, args.gradients, this.placeholder, this.secondPlaceholder], uniforms, this.elementwiseGrid(args.count), `${label}: clip`);
    }
    return finish;
  }

  /** The workgroup grid of an update over `count` parameters. */
  updateGrid(count: number): [number, number] {
    const [x, y = 1] = this.elementwiseGrid(count);
    return [x, y];
  }

  /**
   * Draws a token from one row of logits (sample_token.wgsl), writing it to `nextInput[0]`
   * and appending it to `generated` ([0] counts the tokens drawn).
   */
  sampleToken(
    plan: DispatchPlan,
    args: { logits: BufferSlice; classes: number; nextInput: GPUBuffer; generated: GPUBuffer; topK: number; key: number; temperature: number },
    label: string,
  ): DispatchHandle {
    return plan.add(
      this.kernel('sampleToken'),
      [args.logits.buffer, args.nextInput, args.generated],
      packUniforms(L.sampleToken, { classes: args.classes, logitsOffset: args.logits.offset, topK: args.topK, key: args.key >>> 0, inverseTemperature: 1 / args.temperature }),
      [1],
      label,
    );
  }

  /** output = input ⊙ mask over `count` elements (uniforms: dropoutUniforms; set per run). */
  dropoutForward(plan: DispatchPlan, input: BufferSlice, output: BufferSlice, count: number, label: string): DispatchHandle {
    return plan.add(this.kernel('dropoutForward'), [input.buffer, output.buffer], dropoutUniforms(count, 0, 0, input.offset, output.offset), this.elementwiseGrid(count), label);
  }

  /** gradient ⊙= mask over `count` elements, in place. */
  dropoutBackward(plan: DispatchPlan, gradient: BufferSlice, count: number, label: string): DispatchHandle {
    return plan.add(this.kernel('dropoutBackward'), [this.placeholder, gradient.buffer], dropoutUniforms(count, 0, 0, 0, gradient.offset), this.elementwiseGrid(count), label);
  }

  /** output = tanh(input) over `count` elements. */
  tanhForward(plan: DispatchPlan, input: BufferSlice, output: BufferSlice, count: number, label: string): DispatchHandle {
    return plan.add(
      this.kernel('tanhForward'),
      [input.buffer, this.placeholder, output.buffer],
      packUniforms(L.tanhElementwise, { count, offsetIn: input.offset, offsetSaved: 0, offsetOut: output.offset }),
      this.elementwiseGrid(count),
      label,
    );
  }

  /** dInput = dOutput ⊙ (1 − output²) over `count` elements. */
  tanhBackward(plan: DispatchPlan, dOutput: BufferSlice, output: BufferSlice, dInput: BufferSlice, count: number, label: string): DispatchHandle {
    return plan.add(
      this.kernel('tanhBackward'),
      [dOutput.buffer, output.buffer, dInput.buffer],
      packUniforms(L.tanhElementwise, { count, offsetIn: dOutput.offset, offsetSaved: output.offset, offsetOut: dInput.offset }),
      this.elementwiseGrid(count),
      label,
    );
  }

  /** out[r, j] = W[j, token[r]] + bias0[j] (+ bias1[j]) for rows r of the token buffer. */
  embeddingForward(
    plan: DispatchPlan,
    args: { tokens: GPUBuffer; parameters: GPUBuffer; weightOffset: number; biasOffsets: [number] | [number, number]; output: BufferSlice; rows: number; hidden: number; vocabulary: number },
    label: string,
  ): DispatchHandle {
    return plan.add(
      this.kernel('embeddingForward'),
      [args.tokens, args.parameters, args.output.buffer],
      embeddingUniforms(args.rows, args.hidden, args.vocabulary, args.weightOffset, args.biasOffsets[0], args.biasOffsets[1] ?? NONE, args.output.offset),
      this.elementwiseGrid(args.rows * args.hidden),
      label,
    );
  }

  /** dW[j, v] += Σ_{r : token[r] = v} dA[r, j]. */
  embeddingBackward(
    plan: DispatchPlan,
    args: { tokens: GPUBuffer; dPreactivations: BufferSlice; gradients: GPUBuffer; weightOffset: number; rows: number; hidden: number; vocabulary: number },
    label: string,
  ): DispatchHandle {
    return plan.add(
      this.kernel('embeddingBackward'),
      [args.tokens, args.dPreactivations.buffer, args.gradients],
      embeddingUniforms(args.rows, args.hidden, args.vocabulary, args.weightOffset, 0, 0, args.dPreactivations.offset),
      [Math.ceil(args.hidden / ELEMENTWISE_WORKGROUP)],
      label,
    );
  }

  /** out[r, d] = E[token[r], d]: a learned embedding E [V, D] looked up for every position. */
  embeddingRowsForward(plan: DispatchPlan, args: { tokens: GPUBuffer; parameters: GPUBuffer; weightOffset: number; output: BufferSlice; rows: number; width: number }, label: string): DispatchHandle {
    return plan.add(
      this.kernel('embeddingRowsForward'),
      [args.tokens, args.parameters, args.output.buffer],
      embeddingUniforms(args.rows, args.width, 0, args.weightOffset, NONE, NONE, args.output.offset),
      this.elementwiseGrid(args.rows * args.width),
      label,
    );
  }

  /** dE[token[r], d] += dX[r, d]. */
  embeddingRowsBackward(plan: DispatchPlan, args: { tokens: GPUBuffer; dInputs: BufferSlice; gradients: GPUBuffer; weightOffset: number; rows: number; width: number }, label: string): DispatchHandle {
    return plan.add(
      this.kernel('embeddingRowsBackward'),
      [args.tokens, args.dInputs.buffer, args.gradients],
      embeddingUniforms(args.rows, args.width, 0, args.weightOffset, NONE, NONE, args.dInputs.offset),
      [Math.ceil(args.width / ELEMENTWISE_WORKGROUP)],
      label,
    );
  }

  /**
   * out[t, b, :] (=|+=) in[rev(t, b), b, :], rev(t, b) = len_b − 1 − t within each sequence's length
   * (lengths: u32 [B]); rows of `width` words, token ids or floats (accumulate adds floats).
   */
  reverseRows(plan: DispatchPlan, args: { lengths: GPUBuffer; input: BufferSlice; output: BufferSlice; timeSteps: number; batch: number; width: number; accumulate: boolean }, label: string): DispatchHandle {
    const count = args.timeSteps * args.batch * args.width;
    return plan.add(
      this.kernel('reverseRows'),
      [args.lengths, args.input.buffer, args.output.buffer],
      packUniforms(L.reverseRows, { timeSteps: args.timeSteps, batch: args.batch, width: args.width, inputOffset: args.input.offset, outputOffset: args.output.offset, accumulate: args.accumulate ? 1 : 0 }),
      this.elementwiseGrid(count),
      label,
    );
  }

  /** y[t, b] = [h^fwd_t, h^rev_{rev(t, b)}] [T·B, 2H] from both directions' state buffers (slot s+1 = h_s); uniforms directionUniforms, set per run. */
  joinDirections(plan: DispatchPlan, args: { lengths: GPUBuffer; forwardStates: GPUBuffer; reverseStates: GPUBuffer; joined: BufferSlice; timeSteps: number; batch: number; hidden: number }, label: string): DispatchHandle {
    return plan.add(
      this.kernel('joinDirections'),
      [args.lengths, args.forwardStates, args.reverseStates, args.joined.buffer],
      directionUniforms(args.timeSteps, args.batch, args.hidden, false, args.joined.offset),
      this.elementwiseGrid(args.timeSteps * args.batch * 2 * args.hidden),
      label,
    );
  }

  /** dh^fwd_t = dy[t, b, :H] and dh^rev_s = dy[rev(s, b), b, H:] into slots 1..T of both directions' state gradients. */
  splitDirections(plan: DispatchPlan, args: { lengths: GPUBuffer; dJoined: BufferSlice; forwardGradients: GPUBuffer; reverseGradients: GPUBuffer; timeSteps: number; batch: number; hidden: number }, label: string): DispatchHandle {
    return plan.add(
      this.kernel('splitDirections'),
      [args.lengths, args.dJoined.buffer, args.forwardGradients, args.reverseGradients],
      directionUniforms(args.timeSteps, args.batch, args.hidden, false, args.dJoined.offset),
      this.elementwiseGrid(args.timeSteps * args.batch * args.hidden),
      label,
    );
  }

  /** Row losses and, in place, dLoss/dLogits of the mean softmax cross-entropy (targets IGNORED_TARGET count for nothing). */
  softmaxCrossEntropy(
    plan: DispatchPlan,
    args: { targets: GPUBuffer; logits: BufferSlice; rowLosses: GPUBuffer; rows: number; classes: number },
    label: string,
  ): DispatchHandle {
    const perRow = args.classes <= PER_ROW_SOFTMAX_MAX_CLASSES;
    return plan.add(
      this.kernel(perRow ? 'softmaxCrossEntropyPerRow' : 'softmaxCrossEntropy'),
      [args.targets, args.logits.buffer, args.rowLosses],
      softmaxUniforms(args.rows, args.classes, args.logits.offset, args.rows),
      perRow ? this.elementwiseGrid(args.rows) : gridFor(args.rows, this.device.limits.maxComputeWorkgroupsPerDimension),
      label,
    );
  }

  /** Row losses Σ_v (y − t)² and, in place, dL/dy of the mean over counted rows (see mean_squared_error.wgsl). */
  meanSquaredError(
    plan: DispatchPlan,
    args: { targetValues: GPUBuffer; rowFlags: GPUBuffer; outputs: BufferSlice; rowLosses: GPUBuffer; rows: number; classes: number },
    label: string,
  ): DispatchHandle {
    return plan.add(
      this.kernel('meanSquaredError'),
      [args.targetValues, args.rowFlags, args.outputs.buffer, args.rowLosses],
      mseUniforms(args.rows, args.classes, args.outputs.offset, args.rows),
      this.elementwiseGrid(args.rows),
      label,
    );
  }

  /** output[o + j] += Σ_r input[r, j] (to each of one or two output offsets). */
  columnSums(plan: DispatchPlan, input: BufferSlice, rows: number, cols: number, output: { buffer: GPUBuffer; offsets: number[] }, label: string): DispatchHandle {
    return plan.add(
      this.kernel('columnSums'),
      [input.buffer, output.buffer],
      packUniforms(L.reduce, { rows, cols, inputOffset: input.offset, outputOffset0: output.offsets[0], outputOffset1: output.offsets[1] ?? NONE, scale: 1 }),
      [Math.ceil(cols / ELEMENTWISE_WORKGROUP)],
      label,
    );
  }

  /** output[slot] = scale · Σ_r input[r]; returns the handle so the slot can move each step. */
  meanLoss(plan: DispatchPlan, input: BufferSlice, rows: number, output: BufferSlice, label: string): DispatchHandle {
    return plan.add(this.kernel('meanLoss'), [input.buffer, output.buffer], meanLossUniforms(input.offset, rows, output.offset, rows), [1], label);
  }

  /**
   * One optimizer step over the flat parameter buffer (see sgd.wgsl, adam.wgsl, rmsprop.wgsl);
   * with `indirect`, its workgroup count is read there (the non-finite guard sets 0 to skip it).
   */
  optimizerUpdate(plan: DispatchPlan, type: OptimizerKernel, buffers: OptimizerBuffers, values: OptimizerStepValues, label: string, indirect?: BufferSlice): DispatchHandle {
    const first = buffers.firstState ?? this.placeholder;
    const second = buffers.secondState ?? this.secondPlaceholder;
    const bound =
      type === 'sgd'
        ? [buffers.gradients, buffers.parameters, first]
        : type === 'adam'
          ? [buffers.gradients, buffers.parameters, first, second]
          : [buffers.gradients, buffers.parameters, second, first];
    return plan.add(this.kernel(`${type}Update`), bound, optimizerUniforms(type, values), indirect ?? this.elementwiseGrid(values.count), label);
  }
}

const kernelSets = new WeakMap<GPUDevice, Promise<KernelSet>>();

/** Every kernel by key: its registry entry and override constants. */
function kernelDefinitions(reductionSize: number): Map<string, [KernelName, KernelConstants]> {
  const elementwise = { WORKGROUP_SIZE: ELEMENTWISE_WORKGROUP };
  const reduction = { WORKGROUP_SIZE: reductionSize };
  const definitions = new Map<string, [KernelName, KernelConstants]>();
  for (const variant of MATMUL_VARIANTS) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const transposes = { TRANSPOSE_A: transposeA, TRANSPOSE_B: transposeB };
        definitions.set(
          matmulKey(variant, transposeA, transposeB),
          variant === 'small' || variant === 'large'
            ? [variant === 'large' ? 'matmulLarge' : 'matmul', { ...transposes, A_K_CONTIGUOUS: !transposeA, B_N_CONTIGUOUS: !transposeB }]
            : ['matmulRegister', { ...transposes, ROW_BLOCKS: REGISTER_TILES[variant][0], COLUMN_BLOCKS: REGISTER_TILES[variant][1] }],
        );
      }
    }
  }
  for (const relu of [false, true]) {
    for (const backward of [false, true]) {
      const [rowBlocks, columnBlocks] = REGISTER_TILES[RNN_STEP_TILE];
      definitions.set(rnnStepKey(backward, relu), ['rnnStep', { BACKWARD: backward, RELU: relu, TRANSPOSE_B: !backward, ROW_BLOCKS: rowBlocks, COLUMN_BLOCKS: columnBlocks }]);
    }
  }
  const reductions = new Set(['sumSquaresPartial', 'finishNorm', 'softmaxCrossEntropy', 'meanLoss']);
  for (const name of [
    'lstmCellForward', 'lstmCellBackward', 'gruCellForward', 'gruCellBackward', 'sumSquaresPartial', 'finishNorm', 'scaleGradients',
    'dropoutForward', 'dropoutBackward', 'tanhForward', 'tanhBackward', 'embeddingForward', 'embeddingBackward', 'embeddingRowsForward',
    'embeddingRowsBackward', 'softmaxCrossEntropy', 'softmaxCrossEntropyPerRow', 'meanSquaredError', 'columnSums', 'meanLoss',
    'sgdUpdate', 'adamUpdate', 'rmspropUpdate', 'reverseRows', 'joinDirections', 'splitDirections',
  ] as const) {
    definitions.set(name, [name, reductions.has(name) ? reduction : elementwise]);
  }
  definitions.set('sampleToken', ['sampleToken', {}]);
  return definitions;
}

/** The key of every kernel (tests and tools that use them all). */
export const ALL_KERNELS: readonly string[] = [...kernelDefinitions(64).keys()];

export interface LstmCellArgs {
  /** Gates [T, B, 4H] then cell states [T+1, B, H]. */
  saved: GPUBuffer;
  /** Forward: hidden states; backward: their gradients. */
  hidden: GPUBuffer;
  /** Backward: dGates [T, B, 4H] then cell-state gradients [T+1, B, H]. */
  work?: GPUBuffer;
  batch: number;
  hiddenSize: number;
  gatesOffset: number;
  /** c_{t−1} in `saved`. */
  cellOffset: number;
  /** Forward: h_t; backward: dL/dh_t. */
  hiddenOffset: number;
  /** Backward: dL/dc_t in `work`. */
  cellGradientOffset?: number;
}

export interface GruCellArgs {
  /** a_x (then r, z, n) [T, B, 3H] then a_h [T, B, 3H]. */
  saved: GPUBuffer;
  /** Forward: hidden states; backward: their gradients. */
  stepStates: GPUBuffer;
  /** Backward: the hidden states. */
  states?: GPUBuffer;
  /** Backward: dL/da_x [T, B, 3H] then dL/da_h [T, B, 3H]. */
  work?: GPUBuffer;
  batch: number;
  hiddenSize: number;
  inputPartOffset: number;
  recurrentPartOffset: number;
  /** h_{t−1}: forward in `stepStates`, backward in `states`. */
  previousOffset: number;
  /** Backward: dL/dh_t in `stepStates`. */
  gradientOffset?: number;
}

export type OptimizerKernel = 'sgd' | 'adam' | 'rmsprop';

export interface OptimizerBuffers {
  gradients: GPUBuffer;
  parameters: GPUBuffer;
  /** SGD and RMSprop momentum, Adam's m. */
  firstState?: GPUBuffer;
  /** Adam's v, RMSprop's square average. */
  secondState?: GPUBuffer;
}

/** Everything any update reads for step t; each kernel takes its own fields. */
export interface OptimizerStepValues {
  count: number;
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 − β₁ᵗ for step t. */
  biasCorrection1: number;
  /** √(1 − β₂ᵗ) for step t. */
  biasCorrection2Sqrt: number;
  weightDecay: number;
  /** AdamW: weight decay applied to the parameters, not the gradient. */
  decoupled: boolean;
  momentum: number;
  nesterov: boolean;
  alpha: number;
}

export function optimizerUniforms(type: OptimizerKernel, v: OptimizerStepValues) {
  switch (type) {
    case 'sgd':
      return packUniforms(L.sgd, { count: v.count, learningRate: v.learningRate, momentum: v.momentum, weightDecay: v.weightDecay, nesterov: v.nesterov ? 1 : 0 });
    case 'adam':
      return packUniforms(L.adam, {
        count: v.count, learningRate: v.learningRate, beta1: v.beta1, beta2: v.beta2, epsilon: v.epsilon, oneMinusBeta1: 1 - v.beta1, oneMinusBeta2: 1 - v.beta2,
        biasCorrection1: v.biasCorrection1, biasCorrection2Sqrt: v.biasCorrection2Sqrt, weightDecay: v.weightDecay, decoupled: v.decoupled ? 1 : 0,
      });
    case 'rmsprop':
      return packUniforms(L.rmsprop, { count: v.count, learningRate: v.learningRate, alpha: v.alpha, oneMinusAlpha: 1 - v.alpha, epsilon: v.epsilon, weightDecay: v.weightDecay, momentum: v.momentum });
  }
}

/** Workgroups of the first norm pass (PARTIALS in gradient_norm.wgsl), and the scratch words the clip needs. */
export const GRADIENT_NORM_PARTIALS = 64;
export const GRADIENT_NORM_SCRATCH = GRADIENT_NORM_PARTIALS + 1;

/** Uniforms of the gradient-norm dispatches: this run's norm goes to history[historySlot]. */
export function normUniforms(count: number, maxNorm: number, historySlot: number, updateGrid: [number, number]) {
  return packUniforms(L.gradientNorm, { count, maxNorm, historySlot, updateGridX: updateGrid[0], updateGridY: updateGrid[1] });
}

/** Words of the guard buffer: the update's indirect dispatch size [0..2], then the skipped-step count. */
export const GUARD_WORDS = 4;
export const GUARD_SKIPPED_STEPS = 3;

/** The dropout kernels' uniforms: mask key and drop probability p (0: identity). */
export function dropoutUniforms(count: number, key: number, dropProbability: number, inputOffset: number, outputOffset: number) {
  return packUniforms(L.dropout, { count, key: key >>> 0, dropProbability, keptScale: 1 / (1 - dropProbability), inputOffset, outputOffset });
}

/** Uniforms of meanLoss: output[outputOffset] = (1/counted) Σ_{r < rows} input[inputOffset + r]. */
export function meanLossUniforms(inputOffset: number, rows: number, outputOffset: number, counted: number) {
  return packUniforms(L.reduce, { rows, cols: 1, inputOffset, outputOffset0: outputOffset, outputOffset1: NONE, scale: 1 / counted });
}

/** Uniforms of the mean squared error over `rows` rows of `classes` outputs, `counted` of which count. */
export function mseUniforms(rows: number, classes: number, outputsOffset: number, counted: number) {
  return packUniforms(L.meanSquaredError, { rows, classes, outputsOffset, gradientScale: 2 / (counted * classes) });
}

/** Uniforms of softmax cross-entropy over `rows` rows, `counted` of which have a target (the mean's divisor). */
export function softmaxUniforms(rows: number, classes: number, logitsOffset: number, counted: number) {
  return packUniforms(L.softmaxCrossEntropy, { rows, classes, logitsOffset, inverseCount: 1 / counted });
}

export function rnnStepKey(backward: boolean, relu: boolean): string {
  return `rnnStep ${backward ? 'backward' : 'forward'} ${relu ? 'relu' : 'tanh'}`;
}

export function matmulKey(variant: MatmulVariant, transposeA: boolean, transposeB: boolean): string {
  return `matmul ${variant} ${transposeA ? 'T' : 'N'}${transposeB ? 'T' : 'N'}`;
}

/** Uniforms of joinDirections / splitDirections; `summary`: the reverse half is the reverse direction's final state (many-to-one). */
export function directionUniforms(timeSteps: number, batch: number, hidden: number, summary: boolean, joinedOffset: number) {
  return packUniforms(L.direction, { timeSteps, batch, hidden, summary: summary ? 1 : 0, joinedOffset });
}

/** Uniforms of a matmul dispatch: C [m, n] over k rows, offsets in words, biases NONE when absent. */
function matmulUniforms(m: number, n: number, k: number, offsetA: number, offsetB: number, offsetC: number, biasOffset0: number, biasOffset1: number, accumulate: number) {
  return packUniforms(L.matmul, { m, n, k, offsetA, offsetB, offsetC, biasOffset0, biasOffset1, accumulate });
}

function gruUniforms(args: GruCellArgs, gradientOffset: number) {
  return packUniforms(L.gruCell, {
    batch: args.batch, hidden: args.hiddenSize, inputPartOffset: args.inputPartOffset, recurrentPartOffset: args.recurrentPartOffset, previousOffset: args.previousOffset, gradientOffset,
  });
}

function embeddingUniforms(rows: number, hidden: number, vocabulary: number, weightOffset: number, biasOffset0: number, biasOffset1: number, outputOffset: number) {
  return packUniforms(L.embedding, { rows, hidden, vocabulary, weightOffset, biasOffset0, biasOffset1, outputOffset });
}
