/** ECS cluster ARNs and where they point: the partition, account and region a cluster written as an ARN lives in,
 * so a declaration can be held to the deployment's own. Pure. */

/** Where a deployment runs, or where a cluster ARN points; a part left out is not known (and not checked). */
export interface AwsHome {
  readonly partition?: string;
  readonly account?: string;
  readonly region?: string;
}

export interface ClusterArn {
  readonly partition: string;
  readonly account: string;
  readonly region: string;
  readonly name: string;
}

const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f', 'aws-eusc'];
const CLUSTER_ARN = /^arn:([a-z-]+):ecs:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):cluster\/([A-Za-z0-9_-]{1,255})$/;

/** The parts of `arn:<partition>:ecs:<region>:<account>:cluster/<name>`, or undefined when it is not one. */
export function parseClusterArn(value: string): ClusterArn | undefined {
  const match = CLUSTER_ARN.exec(value);
  if (!match || !PARTITIONS.includes(match[1]!)) return undefined;
  return { partition: match[1]!, region: match[2]!, account: match[3]!, name: match[4]! };
}

export function isArn(value: string): boolean {
  return value.startsWith('arn:');
}

/** The partition a region belongs to (cn-north-1 → aws-cn); the commercial partition for any other name. */
export function partitionOfRegion(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-isof-')) return 'aws-iso-f';
  if (region.startsWith('eu-isoe-')) return 'aws-iso-e';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('eusc-')) return 'aws-eusc';
  return 'aws';
}

/** Where an ARN of any service points (`arn:<partition>:<service>:<region>:<account>:…`), for a caller identity
 * or a Lambda function's own ARN; undefined when it is not an ARN. */
export function homeOfArn(value: string): AwsHome | undefined {
  const match = /^arn:([a-z-]+):[a-z0-9-]+:([a-z0-9-]*):(\d{12})?:/.exec(value);
  if (!match) return undefined;
  return {
    partition: match[1]!,
    ...(match[2] ? { region: match[2] } : {}),
    ...(match[3] ? { account: match[3] } : {}),
  };
}

/** The first way `cluster` lies outside `home` ("account 999999999999, not 123456789012"), or undefined when it
 * does not (a name always lies inside: ECS resolves it in the caller's own account and region). */
export function clusterOutside(cluster: ClusterArn, home: AwsHome): string | undefined {
  if (home.partition !== undefined && cluster.partition !== home.partition) {
    return `partition ${cluster.partition}, not ${home.partition}`;
  }
  if (home.account !== undefined && cluster.account !== home.account) {
    return `account ${cluster.account}, not ${home.account}`;
  }
  if (home.region !== undefined && cluster.region !== home.region) {
    return `region ${cluster.region}, not ${home.region}`;
  }
  return undefined;
}
