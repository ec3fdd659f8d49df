/** "Did you mean" suggestions for misspelt keys and kinds. */

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours each cost 1,
 * since a swapped pair ("snyc") is as common a typo as a wrong letter. */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/** The known word closest to `word`, if it is close enough to be a plausible typo. Case differences count as 0.5. */
export function nearest(word: string, known: Iterable<string>): string | undefined {
  const tolerance = Math.max(2, Math.floor(word.length / 3));
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    // The distance is at least the difference in length: a candidate that far off cannot be within tolerance, and
    // skipping it keeps a megabyte-long word from costing a megabyte-sized table per candidate.
    if (Math.abs(word.length - candidate.length) > tolerance) continue;
    const score = lower === candidate.toLowerCase() ? 0.5 : editDistance(lower, candidate.toLowerCase());
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return bestScore <= tolerance ? best : undefined;
}
