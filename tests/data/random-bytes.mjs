// Seeded pseudo-random bytes for the corpus generators: the same seed always writes the same files.
export function randomBytesFrom(seed) {
  return (n) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      b[i] = seed >>> 24;
    }
    return b;
  };
}
