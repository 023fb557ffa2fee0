/** Small seeded PRNG helpers so simulations and property tests replay exactly. */

export interface Rng {
  /** uniform in [0, 1) */
  next(): number;
  normal(mean: number, sd: number): number;
  /** index drawn with probability proportional to weights[i] */
  weighted(weights: readonly number[]): number;
  /** exponential inter-arrival gap for a Poisson process of `rate` per second */
  exponential(rate: number): number;
}

/** mulberry32: tiny, fast, good enough for simulation (not for secrets). */
export function createRng(seed: number): Rng {
  let s = seed >>> 0;
  let spare: number | null = null;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    normal(mean, sd) {
      if (spare !== null) { const z = spare; spare = null; return mean + sd * z; }
      // Box-Muller; 1 - u keeps log() away from 0
      const u = 1 - next(), v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return mean + sd * r * Math.cos(2 * Math.PI * v);
    },
    weighted(weights) {
      let total = 0;
      for (const w of weights) total += w;
      let x = next() * total;
      for (let i = 0; i < weights.length; i++) {
        x -= weights[i];
        if (x < 0) return i;
      }
      return weights.length - 1;
    },
    exponential(rate) {
      return -Math.log(1 - next()) / rate;
    },
  };
}

/** FNV-1a of a string as an unsigned 32-bit number; `seed` varies the basis (0: the standard one). */
export function hashString(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
