// Argument checks shared by the CPU reference. Every error names the argument, what was
// given and what was expected, so a wrong call fails loudly instead of computing garbage.

export function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive integer, got ${value}`);
  }
}

export function checkLength(
  name: string,
  array: ArrayLike<number>,
  expected: number,
  expectedDescription: string,
): void {
  if (array.length !== expected) {
    throw new Error(
      `${name} has length ${array.length}, expected ${expected} (${expectedDescription})`,
    );
  }
}

/** Every value is an integer in [0, count); `what` says what the values index. */
export function checkIndices(
  name: string,
  values: ArrayLike<number>,
  count: number,
  what: string,
): void {
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (!Number.isInteger(value) || value < 0 || value >= count) {
      throw new Error(
        `${name}[${i}] = ${value} is not a valid ${what}: expected an integer in [0, ${count})`,
      );
    }
  }
}
