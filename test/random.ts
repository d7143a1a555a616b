import { seededRandom } from '../src/model/random.ts';

export { seededRandom };

/** `count` values uniform in [-scale, scale), as float32-representable numbers. */
export function randomFloats(count: number, seed: number, scale = 1): Float32Array {
  const random = seededRandom(seed);
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = (random() * 2 - 1) * scale;
  return values;
}
