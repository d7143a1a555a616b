/**
 * The seed of the property-based tests: a new one each run, printed so that a failure
 * can be replayed with WEBGPU_RNN_PROPERTY_SEED=<seed>; and a tally of the bad inputs
 * tried, by class, printed at the end of each file.
 */
export const SEED_ENV_VARIABLE = 'WEBGPU_RNN_PROPERTY_SEED';

function chooseSeed(): number {
  const given = process.env[SEED_ENV_VARIABLE];
  if (given !== undefined && given !== '') {
    const seed = Number(given);
    if (!Number.isSafeInteger(seed)) throw new Error(`${SEED_ENV_VARIABLE}=${given}: expected an integer`);
    return seed;
  }
  return Math.floor(Math.random() * 2 ** 31);
}

export const PROPERTY_SEED = chooseSeed();

/** The seed of the k-th property of a file (each property draws its own sequence). */
export function seedFor(k: number): number {
  return (PROPERTY_SEED + k * 0x9e3779b1) | 0;
}

export function announceSeed(file: string): void {
  console.log(`${file}: property seed ${PROPERTY_SEED} (replay with ${SEED_ENV_VARIABLE}=${PROPERTY_SEED})`);
}

/** Bad inputs tried, by class. */
export class BadInputTally {
  private readonly counts = new Map<string, number>();

  count(badClass: string): void {
    this.counts.set(badClass, (this.counts.get(badClass) ?? 0) + 1);
  }

  get(badClass: string): number {
    return this.counts.get(badClass) ?? 0;
  }

  get total(): number {
    return [...this.counts.values()].reduce((sum, count) => sum + count, 0);
  }

  report(file: string): string {
    const rows = [...this.counts.entries()].map(([badClass, count]) => `  ${String(count).padStart(5)}  ${badClass}`);
    return `${file}: ${this.total} bad inputs tried (seed ${PROPERTY_SEED})\n${rows.join('\n')}`;
  }
}
