/**
 * The configurations of issue 7 and the matrix products one training step of
 * each performs, with their FLOP counts (a multiply-add counts 2).
 *
 * Per training step, one layer, one-hot inputs (V = 65), head at every step,
 * G gates (rnn 1, lstm 4, gru 3):
 *   forward   recurrent   T × 2·B·H·(G·H)      a_t += h_{t−1} W_hhᵀ, every step
 *             input       0                    one-hot x_t: W_ih x_t is a gather of W_ih columns, no multiply
 *             head        2·(T·B)·H·V          y = h W_yᵀ for all steps at once
 *   backward  recurrent   T × 2·B·(G·H)·H      dL/dh_{t−1} += dA_t W_hh, every step
 *             dW_hh       2·(G·H)·(T·B)·H      Σ_t dA_tᵀ h_{t−1}, all steps at once
 *             dW_ih       0                    a scatter-add of dA rows by token
 *             head        2·V·(T·B)·H + 2·(T·B)·V·H    dW_y = dYᵀ h and dL/dh = dY W_y
 * so the backward matmuls are exactly twice the forward ones:
 *   step FLOPs = 3 · (2·T·B·H·G·H + 2·T·B·H·V).
 * Elementwise work (cells, softmax, Adam) is not counted.
 */
import { type CellType, GATES } from '../src/index.ts';
import { headRows } from '../src/model/parameter-layout.ts';

export interface BenchConfig {
  name: string;
  cell: CellType;
  hidden: number;
  batch: number;
  timeSteps: number;
}

export const VOCABULARY = 65;
export const LEARNING_RATE = 2e-3;

export const CONFIGS: BenchConfig[] = [
  { name: 'rnn-s', cell: 'rnn', hidden: 128, batch: 32, timeSteps: 32 },
  { name: 'lstm-s', cell: 'lstm', hidden: 128, batch: 32, timeSteps: 32 },
  { name: 'gru-s', cell: 'gru', hidden: 128, batch: 32, timeSteps: 32 },
  { name: 'lstm-m', cell: 'lstm', hidden: 256, batch: 64, timeSteps: 64 },
  { name: 'lstm-l', cell: 'lstm', hidden: 512, batch: 64, timeSteps: 64 },
];

/** C = opA(A)·opB(B) with opA(A) [m, k] and opB(B) [k, n]; the flags say how A and B are stored, as in KernelSet.matmul. */
export interface MatmulShape {
  m: number;
  n: number;
  k: number;
  transposeA?: boolean;
  transposeB?: boolean;
  /** B is read by every time step's product (the recurrent weights): MatmulArgs.sharedB, packed once. */
  sharedB?: boolean;
}

export interface StepProduct {
  /** What the product is in the step. */
  role: string;
  /** 'recurrent': inside the loop over t (count = T); 'batched': once per step over all T·B rows. */
  kind: 'recurrent' | 'batched';
  count: number;
  /** The product as the engine runs it (the head's over headRows(V) rows, the last ones zero). */
  shape: MatmulShape;
  /** Its FLOPs that the model needs (with V, not headRows(V)): what GFLOP/s are counted in. */
  flops: number;
}

export function matmulFlops(shape: MatmulShape): number {
  return 2 * shape.m * shape.n * shape.k;
}

export function shapeKey(shape: MatmulShape): string {
  return `${shape.m}x${shape.k}x${shape.n}${shape.transposeA ? ' Aᵀ' : ''}${shape.transposeB ? ' Bᵀ' : ''}${shape.sharedB ? ' shared B' : ''}`;
}

/**
 * The matrix products of one training step, as the engine lays them out (src/model/layers, sequence-plan.ts):
 * the head's run over V′ = headRows(V) outputs, the last V′ − V of them zero.
 */
export function stepProducts(config: BenchConfig): StepProduct[] {
  const { hidden: H, batch: B, timeSteps: T } = config;
  const GH = GATES[config.cell] * H;
  const V = VOCABULARY;
  const rows = headRows(V);
  const TB = T * B;
  const product = (role: string, kind: StepProduct['kind'], count: number, shape: MatmulShape, needed = shape): StepProduct => ({ role, kind, count, shape, flops: matmulFlops(needed) });
  return [
    product('recurrent forward h·W_hhᵀ', 'recurrent', T, { m: B, n: GH, k: H, transposeB: true, sharedB: true }),
    product('recurrent backward dA·W_hh', 'recurrent', T, { m: B, n: H, k: GH, sharedB: true }),
    product('head forward h·W_yᵀ', 'batched', 1, { m: TB, n: rows, k: H, transposeB: true }, { m: TB, n: V, k: H }),
    product('head weight gradient dYᵀ·h', 'batched', 1, { m: rows, n: H, k: TB, transposeA: true }, { m: V, n: H, k: TB }),
    product('head state gradient dY·W_y', 'batched', 1, { m: TB, n: H, k: rows }, { m: TB, n: H, k: V }),
    product('recurrent weight gradient dAᵀ·h', 'batched', 1, { m: GH, n: H, k: TB, transposeA: true }),
  ];
}

/** Matmul FLOPs of one training step (forward and backward) that the model needs; see the formula above. */
export function stepFlops(config: BenchConfig): number {
  return stepProducts(config).reduce((sum, product) => sum + product.count * product.flops, 0);
}

/** Products reported on their own: a large square one and the fused RNN shape B×(I+H)·(H×G) of lstm-l. */
export const REFERENCE_PRODUCTS: { role: string; shape: MatmulShape }[] = [
  { role: 'square 512³', shape: { m: 512, n: 512, k: 512 } },
  { role: 'lstm-l fused input+recurrent B64 × K577 × N2048', shape: { m: 64, n: 2048, k: VOCABULARY + 512, transposeB: true } },
];
