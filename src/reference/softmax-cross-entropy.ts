// CPU reference (float64): softmax cross-entropy over rows of logits, mean over the rows
// whose target is not IGNORE_INDEX (torch.nn.functional.cross_entropy with
// reduction='mean' and ignore_index=-100), natural log.
import { checkLength, checkPositiveInteger } from './validation.ts';

/** A target that contributes no loss and no gradient (PyTorch's default ignore_index). */
export const REFERENCE_IGNORE_INDEX = -100;

function checkArguments(
  logits: ArrayLike<number>,
  targets: ArrayLike<number>,
  rows: number,
  classes: number,
): void {
  checkPositiveInteger('rows', rows);
  checkPositiveInteger('classes', classes);
  checkLength('logits', logits, rows * classes, `[rows, classes] = [${rows}, ${classes}]`);
  checkLength('targets', targets, rows, `rows = ${rows}`);
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i];
    if (t !== REFERENCE_IGNORE_INDEX && !(Number.isInteger(t) && t >= 0 && t < classes)) {
      throw new Error(`targets[${i}] is ${t}, expected a class index in [0, ${classes}) or ${REFERENCE_IGNORE_INDEX} (ignored)`);
    }
  }
}

/** Rows whose target counts. */
function countedRows(targets: ArrayLike<number>): number {
  let count = 0;
  for (let i = 0; i < targets.length; i++) if (targets[i] !== REFERENCE_IGNORE_INDEX) count++;
  if (count === 0) throw new Error('targets: every row is ignored, so the mean loss is undefined');
  return count;
}

/** Stable log-softmax of one row: log p_c = z_c − m − log Σ_j exp(z_j − m), m = max_j z_j. */
function logSoftmaxRow(logits: ArrayLike<number>, offset: number, classes: number): Float64Array {
  let max = -Infinity;
  for (let c = 0; c < classes; c++) max = Math.max(max, logits[offset + c]);
  let sumExp = 0;
  for (let c = 0; c < classes; c++) sumExp += Math.exp(logits[offset + c] - max);
  const logSumExp = Math.log(sumExp);
  const logProbabilities = new Float64Array(classes);
  for (let c = 0; c < classes; c++) logProbabilities[c] = logits[offset + c] - max - logSumExp;
  return logProbabilities;
}

/** rowLosses[r] = −log softmax(z_r)[target_r] (0 where ignored);  loss = (1/counted) Σ_r rowLosses[r]. */
export function softmaxCrossEntropyForward(
  logits: ArrayLike<number>,
  targets: ArrayLike<number>,
  rows: number,
  classes: number,
): { loss: number; rowLosses: Float64Array } {
  checkArguments(logits, targets, rows, classes);
  const rowLosses = new Float64Array(rows);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    if (targets[r] === REFERENCE_IGNORE_INDEX) continue;
    const logProbabilities = logSoftmaxRow(logits, r * classes, classes);
    rowLosses[r] = -logProbabilities[targets[r]];
    total += rowLosses[r];
  }
  return { loss: total / countedRows(targets), rowLosses };
}

/** dLoss/dz[r, c] = (softmax(z_r)[c] − [c = target_r]) / counted for the MEAN loss; 0 in ignored rows. */
export function softmaxCrossEntropyBackward(
  logits: ArrayLike<number>,
  targets: ArrayLike<number>,
  rows: number,
  classes: number,
): Float64Array {
  checkArguments(logits, targets, rows, classes);
  const dLogits = new Float64Array(rows * classes);
  const counted = countedRows(targets);
  for (let r = 0; r < rows; r++) {
    if (targets[r] === REFERENCE_IGNORE_INDEX) continue;
    const logProbabilities = logSoftmaxRow(logits, r * classes, classes);
    for (let c = 0; c < classes; c++) {
      const oneHot = c === targets[r] ? 1 : 0;
      dLogits[r * classes + c] = (Math.exp(logProbabilities[c]) - oneHot) / counted;
    }
  }
  return dLogits;
}
