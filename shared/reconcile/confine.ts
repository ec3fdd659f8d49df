/** The deployment's limits over what a repository declares: targets are confined twice, by driftless.yaml and by
 * the installation, so a repository can never reach past what it was installed for. */
import { clusterOutside, isArn, parseClusterArn } from '../spec/arn.ts';
import { clusterName } from '../spec/checks.ts';
import { compareDiagnostics, type Diagnostic, diagnostic } from '../spec/diagnostics.ts';
import type { RepositorySnapshot } from '../spec/repository.ts';
import { referencesOutsideDeployment, templateOutsideDeployment } from './confine-templates.ts';
import type { DeploymentLimits } from './types.ts';

/** Refuses, before any AWS call, declarations outside what the deployment allows (clusters, stack-name prefix, the
 * resource types a template declares, the stacks a reference reads), and turns pruning off when the deployment does;
 * each refusal is an error diagnostic, so it also blocks pruning for the run. */
export function confine(snapshot: RepositorySnapshot, limits: DeploymentLimits | undefined): RepositorySnapshot {
  if (!limits) return snapshot;
  const refused: Diagnostic[] = [];
  // The sweep lists the managed services of every cluster Settings name: one named elsewhere is refused, and so is
  // every declaration in it, even one that names it by name alone.
  const settingsClusters = snapshot.settings?.document.spec.targets.clusters ?? [];
  const elsewhere = new Map<string, string>();
  for (const cluster of settingsClusters) {
    const outside = clusterOutsideDeployment(cluster, limits);
    if (!outside || !snapshot.settings) continue;
    elsewhere.set(clusterName(cluster), outside);
    refused.push(diagnostic('E_TARGET', snapshot.settings.location, outside));
  }
  const declarations = snapshot.declarations.filter((declaration) => {
    if (declaration.kind === 'EcsService') {
      const outside =
        clusterOutsideDeployment(declaration.document.metadata.cluster, limits) ??
        elsewhere.get(clusterName(declaration.document.metadata.cluster));
      if (outside) {
        refused.push(diagnostic('E_TARGET', declaration.location, outside));
        return false;
      }
    }
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
    const outside =
      declaration.kind === 'CloudFormationStack'
        ? templateOutsideDeployment(declaration, limits, (cluster) => clusterOutsideDeployment(cluster, limits))
        : referencesOutsideDeployment(declaration, limits);
    refused.push(...outside);
    return outside.length === 0;
  });
  const settings =
    snapshot.settings && (limits.prune === false || elsewhere.size > 0)
      ? {
          ...snapshot.settings,
          document: {
            ...snapshot.settings.document,
            spec: {
              ...snapshot.settings.document.spec,
              targets: {
                ...snapshot.settings.document.spec.targets,
                clusters: settingsClusters.filter((cluster) => !elsewhere.has(clusterName(cluster))),
              },
              sync: {
                ...snapshot.settings.document.spec.sync,
                prune: limits.prune === false ? false : snapshot.settings.document.spec.sync.prune,
              },
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

/** Why a cluster written as an ARN lies outside the deployment's partition, account or region; undefined for a
 * name or an ARN inside. */
function clusterOutsideDeployment(cluster: string, limits: DeploymentLimits): string | undefined {
  if (!isArn(cluster)) return undefined;
  const arn = parseClusterArn(cluster);
  if (!arn) return `cluster ${cluster} is not an ECS cluster ARN`;
  const outside = clusterOutside(arn, limits);
  return outside
    ? `cluster ${cluster} is in ${outside}: this installation deploys only to its own partition, account and region`
    : undefined;
}
