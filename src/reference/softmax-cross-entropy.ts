// CPU reference (float64): softmax cross-entropy over rows of logits, mean over rows
// (torch.nn.functional.cross_entropy with reduction='mean'), natural log.
import { checkIndices, checkLength, checkPositiveInteger } from './validation.ts';

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
  checkIndices('targets', targets, classes, 'class index');
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

/** rowLosses[r] = −log softmax(z_r)[target_r];  loss = (1/rows) Σ_r rowLosses[r]. */
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
    const logProbabilities = logSoftmaxRow(logits, r * classes, classes);
    rowLosses[r] = -logProbabilities[targets[r]];
    total += rowLosses[r];
  }
  return { loss: total / rows, rowLosses };
}

/** dLoss/dz[r, c] = (softmax(z_r)[c] − [c = target_r]) / rows, for the MEAN loss. */
export function softmaxCrossEntropyBackward(
  logits: ArrayLike<number>,
  targets: ArrayLike<number>,
  rows: number,
  classes: number,
): Float64Array {
  checkArguments(logits, targets, rows, classes);
  const dLogits = new Float64Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    const logProbabilities = logSoftmaxRow(logits, r * classes, classes);
    for (let c = 0; c < classes; c++) {
      const oneHot = c === targets[r] ? 1 : 0;
      dLogits[r * classes + c] = (Math.exp(logProbabilities[c]) - oneHot) / rows;
    }
  }
  return dLogits;
}
