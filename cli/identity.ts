/** Who is calling, for the ledger entries the CLI writes itself (pause, resume): the AWS identity from STS
 * GetCallerIdentity, or `local:<os user>` against a local endpoint (DynamoDB Local, the demo), where there is none. */
import { userInfo } from 'node:os';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { TerminalError } from '../shared/errors.ts';
import type { DeploymentLimits } from '../shared/reconcile/types.ts';
import { homeOfArn, partitionOfRegion } from '../shared/spec/arn.ts';
import type { AwsClients, AwsOptions } from './context.ts';

/** The parts of @aws-sdk/client-sts the CLI uses. */
interface StsModule {
  STSClient: new (config: Record<string, unknown>) => { send(command: unknown): Promise<{ Arn?: string }> };
  GetCallerIdentityCommand: new (input: Record<string, never>) => unknown;
}

export function localIdentity(): string {
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    name = process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
  return `local:${name}`;
}

export async function callerIdentity(options: AwsOptions): Promise<string> {
  if (options.endpoint) return localIdentity();
  // Imported when needed: only pause and resume against AWS ask STS, and every other command starts without it.
  const specifier = '@aws-sdk/client-sts';
  let sts: StsModule;
  try {
    sts = (await import(specifier)) as StsModule;
  } catch (error) {
    throw new TerminalError(
      `${specifier} is needed to learn who you are (STS GetCallerIdentity) and is not installed: run npm ci`,
      { cause: error },
    );
  }
  const client = new sts.STSClient(options.region ? { region: options.region } : {});
  let arn: string | undefined;
  try {
    arn = (await client.send(new sts.GetCallerIdentityCommand({}))).Arn;
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new TerminalError(`cannot learn who you are (STS GetCallerIdentity): ${reason}`, { cause: error });
  }
  if (!arn) throw new TerminalError('STS GetCallerIdentity answered no ARN');
  return arn;
}

/** Where `plan` and `reconcile` deploy to, as limits: the region the ECS client uses and, against AWS, the partition
 * and account STS names, so a cluster ARN elsewhere is refused before any call. Against a local endpoint (or clients
 * a test or the demo passes without an identity) the account is not known and not checked. */
export async function deploymentHome(
  options: AwsOptions,
  clients: AwsClients,
  ecs: ECSClient,
): Promise<DeploymentLimits> {
  let region = options.region;
  try {
    region ??= await ecs.config.region();
  } catch {
    // No region configured: the first ECS call says so in its own words.
  }
  const asksAws = !options.endpoint && clients.ecs === undefined;
  const identity = clients.callerIdentity ?? (asksAws ? () => callerIdentity(options) : undefined);
  const home = identity ? homeOfArn(await identity()) : undefined;
  return {
    ...(region ? { region, partition: partitionOfRegion(region) } : {}),
    ...(home?.partition ? { partition: home.partition } : {}),
    ...(home?.account ? { account: home.account } : {}),
  };
}

/** The resource types `--allowed-resource-types` names, as limits: plan and reconcile then refuse, as the installation
 * would, a stack whose template declares another. Without it the CLI knows no deployment list, and Settings alone
 * bound the types (as they alone bound the clusters). */
export function deploymentTypes(options: {
  readonly allowedResourceTypes?: readonly string[];
}): Pick<DeploymentLimits, 'allowedResourceTypes'> {
  return options.allowedResourceTypes ? { allowedResourceTypes: options.allowedResourceTypes } : {};
}
