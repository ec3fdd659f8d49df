/** The deployment's limits over what a repository declares: targets are confined twice, by driftless.yaml and by
 * the installation, so a repository can never reach past what it was installed for. */
import { clusterName } from '../spec/checks.ts';
import { compareDiagnostics, type Diagnostic, diagnostic } from '../spec/diagnostics.ts';
import type { RepositorySnapshot } from '../spec/repository.ts';
import type { DeploymentLimits } from './types.ts';

/** Refuses, before any AWS call, declarations outside what the deployment allows, and turns pruning off when the
 * deployment does; each refusal is an error diagnostic, so it also blocks pruning for the run. */
export function confine(snapshot: RepositorySnapshot, limits: DeploymentLimits | undefined): RepositorySnapshot {
  if (!limits) return snapshot;
  const refused: Diagnostic[] = [];
  const declarations = snapshot.declarations.filter((declaration) => {
    if (declaration.kind === 'EcsService' && limits.allowedClusters) {
      const cluster = clusterName(declaration.document.metadata.cluster);
      if (!limits.allowedClusters.map(clusterName).includes(cluster)) {
        refused.push(
          diagnostic(
            'E_TARGET',
            declaration.location,
            `cluster ${cluster} is not one this installation may touch (allowed: ${limits.allowedClusters.join(', ') || 'none'})`,
          ),
        );
        return false;
      }
    }
    if (declaration.kind === 'CloudFormationStack' && limits.stackNamePrefix !== undefined) {
      if (!declaration.document.metadata.name.startsWith(limits.stackNamePrefix)) {
        refused.push(
          diagnostic(
            'E_TARGET',
            declaration.location,
            `stack ${declaration.document.metadata.name} does not start with ${limits.stackNamePrefix}, the prefix this installation may touch`,
          ),
        );
        return false;
      }
    }
    return true;
  });
  const settings =
    snapshot.settings && limits.prune === false
      ? {
          ...snapshot.settings,
          document: {
            ...snapshot.settings.document,
            spec: {
              ...snapshot.settings.document.spec,
              sync: { ...snapshot.settings.document.spec.sync, prune: false },
            },
          },
        }
      : snapshot.settings;
  return {
    ...snapshot,
    ...(settings ? { settings } : {}),
    declarations,
    diagnostics: [...snapshot.diagnostics, ...refused].sort(compareDiagnostics),
    pruneBlocked: snapshot.pruneBlocked || refused.length > 0,
  };
}
