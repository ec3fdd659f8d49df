/** The guards on pruning: every reason apply must not delete a managed resource that is no longer declared. Pure. */

export interface PruneGuardInput {
  readonly pruneEnabled: boolean;
  /** Any declaration failed to parse or validate, or the Git read failed. */
  readonly pruneBlocked: boolean;
  readonly managedCount: number;
  readonly candidateCount: number;
  readonly maxPruneFraction: number;
  readonly allowEmpty: boolean;
}

/** Every reason not to prune; empty when pruning is allowed. Shared by the plan (to show) and apply (to obey). */
export function pruneGuards(input: PruneGuardInput): string[] {
  const guards: string[] = [];
  if (!input.pruneEnabled) guards.push('pruning is off in driftless.yaml (spec.sync.prune: false)');
  if (input.pruneBlocked) guards.push('a declaration failed to validate, so a missing declaration may be a broken one');
  if (input.managedCount > 0 && input.candidateCount / input.managedCount > input.maxPruneFraction) {
    guards.push(
      `${input.candidateCount} of ${input.managedCount} managed resources is over maxPruneFraction ${input.maxPruneFraction}`,
    );
  }
  if (input.candidateCount >= input.managedCount && !input.allowEmpty) {
    guards.push('it would leave no managed resource (allowEmpty is not set)');
  }
  return guards;
}
