/** How far an IAM resource type's ARN can be narrowed for the stacks of one installation: by name (CloudFormation's
 * generated physical names start with the stack name, which starts with the prefix), by ECS cluster, or not at all
 * (resources known by an ID, such as vpc/vpc-0abc, which tags confine instead). */

/** What the ARNs of the managed stacks' resources are confined to. */
export interface StackScope {
  readonly stackNamePrefix: string;
  /** ECS clusters a stack's services, tasks and task sets may live in. */
  readonly allowedClusters: readonly string[];
  /** Value of the driftless:managed-by tag the stacks carry (and CloudFormation propagates to their resources). */
  readonly installationId: string;
}

export interface ScopedArn {
  /** ARN patterns with CloudFormation pseudo parameters (`${AWS::Partition}`…) left for Fn::Sub. */
  readonly arns: readonly string[];
  /** True when the pattern pins the resource's own name to the prefix, so no tag condition is needed. */
  readonly named: boolean;
}

const PSEUDO: Readonly<Record<string, string>> = {
  Partition: '${AWS::Partition}',
  Region: '${AWS::Region}',
  Account: '${AWS::AccountId}',
};

/** Services whose generated names are lowercased stack names (bucket names allow no capitals). */
const LOWERCASE_NAMES = new Set(['s3']);

/**
 * Narrows `arnFormat` (as the service authorization reference writes it, e.g.
 * `arn:${Partition}:ecs:${Region}:${Account}:service/${ClusterName}/${ServiceName}`): the first placeholder that is a
 * name takes `<prefix>*`, except an ECS cluster that contains the resource, which takes each allowed cluster; every
 * other placeholder takes `*`. ARNs of resources AWS owns are not narrowed.
 */
export function scopeArn(arnFormat: string, scope: StackScope): ScopedArn {
  const service = arnFormat.split(':')[2] ?? '';
  // AWS's own resources (arn:…:iam::aws:role-template/…) are no stack's: nothing of them carries the prefix.
  const awsOwned = arnFormat.split(':')[4] === 'aws';
  const placeholders = [...arnFormat.matchAll(/\$\{([A-Za-z0-9]+)\}/g)].map((match) => match[1]!);
  const ownNames = placeholders.filter((name) => !(name in PSEUDO));
  const containingCluster = service === 'ecs' && ownNames.length > 1 && ownNames[0] === 'ClusterName';
  const nameIndex = awsOwned
    ? -1
    : ownNames.findIndex((name, index) => /Name/.test(name) && !(containingCluster && index === 0));
  const prefix = LOWERCASE_NAMES.has(service) ? scope.stackNamePrefix.toLowerCase() : scope.stackNamePrefix;
  const clusters = containingCluster ? scope.allowedClusters : [undefined];
  const arns = clusters.map((cluster) => {
    let position = -1;
    return arnFormat.replace(/\$\{([A-Za-z0-9]+)\}/g, (_, name: string) => {
      const pseudo = PSEUDO[name];
      if (pseudo) return pseudo;
      position += 1;
      if (containingCluster && position === 0) return cluster!;
      return position === nameIndex ? `${prefix}*` : '*';
    });
  });
  return { arns: dedupeWildcards(arns), named: nameIndex >= 0 };
}

/** `a/*` + `/*` collapse (`task-definition/x*:*` stays, `vpc/*` stays). */
function dedupeWildcards(arns: readonly string[]): string[] {
  return [...new Set(arns.map((arn) => arn.replace(/\*(\/\*|:\*)+$/, '*')))];
}
