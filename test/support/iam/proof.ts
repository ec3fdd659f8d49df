/** Turns recorded calls into the authorization requests IAM makes for them (through the table of commands), in the
 * names of one installation, and decides each, once per distinct request and principal. */
import { expect } from 'vitest';
import { ledgerTableDefinition } from '../../../shared/audit/dynamodb.ts';
import { lockTableDefinition } from '../../../shared/lock/lease.ts';
import { type AuthorizedRequest, authorizationsOf, type CallSite } from './commands.ts';
import { ACCOUNT, type Installation, PARTITION, REGION } from './deployment.ts';
import { type Forbidden, neverAllowed, outsideTargets, type Targets } from './outside-targets.ts';
import type { RecordedCall } from './recorder.ts';
import { type Decision, decide, describeRequest, type Verdict } from './simulate.ts';

export interface Attributed {
  readonly principal: string;
  readonly request: AuthorizedRequest;
}

const hashKey = (definition: ReturnType<typeof lockTableDefinition>) =>
  definition.KeySchema?.find((key) => key.KeyType === 'HASH')?.AttributeName;

/** The requests of `calls`, in order, with table names the tests used replaced by the installation's (`aliases`). */
export function requestsOf(
  calls: readonly RecordedCall[],
  installation: Installation,
  aliases: ReadonlyMap<string, string>,
): Attributed[] {
  const changeSets = new Map<string, string>();
  const partitionKeys = new Map([
    [installation.ledgerTable, hashKey(ledgerTableDefinition(installation.ledgerTable))],
    [installation.lockTable, hashKey(lockTableDefinition(installation.lockTable))],
  ]);
  const site: CallSite = {
    partition: PARTITION,
    region: REGION,
    account: ACCOUNT,
    repository: installation.context.repository ?? '',
    stackOfChangeSet: (arn) => changeSets.get(arn),
    partitionKeyOf: (table) => partitionKeys.get(aliases.get(table) ?? table),
  };
  const rename = (resource: string) =>
    resource.replace(/(:table\/)([^/]+)/, (whole, prefix: string, table: string) =>
      aliases.has(table) ? `${prefix}${aliases.get(table)}` : whole,
    );
  return calls.flatMap((call) => {
    const requests = authorizationsOf(call.service, call.command, call.input, site);
    const output = call.output as { Id?: string; StackId?: string } | undefined;
    if (call.command === 'CreateChangeSet' && output?.Id && output.StackId) changeSets.set(output.Id, output.StackId);
    return requests.map((request) => ({
      principal: call.principal,
      request: { ...request, resource: rename(request.resource) },
    }));
  });
}

/** Distinct requests: the same request made again needs no second decision. */
export function distinct<T extends Attributed>(items: readonly T[]): T[] {
  const seen = new Map<string, T>();
  for (const item of items) seen.set(JSON.stringify([item.principal, item.request]), item);
  return [...seen.values()];
}

/** Decides each request as its principal in `installation`. */
export async function decideAll(installation: Installation, items: readonly Attributed[]): Promise<Verdict[]> {
  const verdicts: Verdict[] = [];
  for (const { principal, request } of items) {
    const found = installation.principals.get(principal);
    if (!found) throw new Error(`the installation has no principal ${principal}`);
    verdicts.push(await decide(installation, found, request));
  }
  return verdicts;
}

/** One line per verdict whose decision is not `expected`, for an assertion message. */
export function unexpected(verdicts: readonly Verdict[], expected: (decision: Decision) => boolean): string[] {
  return verdicts
    .filter((verdict) => !expected(verdict.decision))
    .map((verdict) => `${verdict.decision}: ${describeRequest(verdict.principal, verdict.request)}`);
}

/** The verdicts of one proof: every request it expected allowed, and every outside-the-targets variant it denied. */
export interface ProofVerdicts {
  readonly allowed: Verdict[];
  readonly denied: Verdict[];
}

/**
 * Decides `requests` in `installation`, expecting each allowed and every context key used; then expects their
 * outside-the-targets variants, what `principals` may never do, and `forbidden`, denied.
 */
export async function proveConfined(
  installation: Installation,
  requests: readonly Attributed[],
  options: {
    readonly installationId: string;
    readonly principals?: readonly string[];
    readonly forbidden?: readonly Forbidden[];
  },
): Promise<ProofVerdicts> {
  const verdicts = await decideAll(installation, distinct(requests));
  expect(unexpected(verdicts, (decision) => decision === 'Allowed')).toEqual([]);
  expect(
    verdicts.flatMap((verdict) => verdict.ignoredContextKeys.map((key) => `${verdict.request.action}: ${key}`)),
  ).toEqual([]);

  const targets: Targets = {
    partition: PARTITION,
    region: REGION,
    account: ACCOUNT,
    ledgerTable: installation.ledgerTable,
    lockTable: installation.lockTable,
    installationId: options.installationId,
  };
  const principals = options.principals ?? [...new Set(verdicts.map((verdict) => verdict.principal))];
  const outside: Forbidden[] = distinct([
    ...verdicts.flatMap((verdict) => outsideTargets(verdict.principal, verdict.request, targets)),
    ...principals.flatMap((principal) => neverAllowed(principal, targets)),
    ...(options.forbidden ?? []),
  ]);
  const refused = await decideAll(installation, outside);
  expect(
    refused.flatMap((verdict, index) =>
      verdict.decision === 'Allowed' ? [`${outside[index]?.why}: ${JSON.stringify(verdict.request)}`] : [],
    ),
  ).toEqual([]);
  return {
    allowed: verdicts.filter((verdict) => verdict.decision === 'Allowed'),
    denied: refused.filter((verdict) => verdict.decision !== 'Allowed'),
  };
}
