// CPU reference (float64): mean squared error over the outputs of the rows that count
// (torch.nn.MSELoss, reduction='mean'), rows being positions; a row is skipped where
// counted[r] is false (positions past a sequence's length).
//   loss = (1 / (N·V)) Σ_{counted r} Σ_v (y_rv − t_rv)²,   dL/dy_rv = 2 (y_rv − t_rv) / (N·V)
// with N the counted rows.

export function meanSquaredErrorForward(outputs: ArrayLike<number>, targets: ArrayLike<number>, counted: ArrayLike<boolean>, classes: number): number {
  let total = 0;
  let rows = 0;
  for (let r = 0; r < counted.length; r++) {
    if (!counted[r]) continue;
    rows++;
    for (let v = 0; v < classes; v++) total += (outputs[r * classes + v] - targets[r * classes + v]) ** 2;
  }
  if (rows === 0) throw new Error('no row counts, so the mean squared error is undefined');
  return total / (rows * classes);
}

export function meanSquaredErrorBackward(outputs: ArrayLike<number>, targets: ArrayLike<number>, counted: ArrayLike<boolean>, classes: number): Float64Array {
  const rows = Array.from(counted).filter(Boolean).length;
  const dOutputs = new Float64Array(outputs.length);
  for (let r = 0; r < counted.length; r++) {
    if (!counted[r]) continue;
    for (let v = 0; v < classes; v++) dOutputs[r * classes + v] = (2 * (outputs[r * classes + v] - targets[r * classes + v])) / (rows * classes);
  }
  return dOutputs;
}
