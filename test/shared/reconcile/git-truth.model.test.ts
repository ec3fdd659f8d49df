/** Model-based: random interleavings of pushes (delivered, lost or skipped by a held lock), manual changes, sweeps,
 * throttling and lost ledger writes, over services under each drift policy, on a real git repository, the simulator
 * and DynamoDB Local (lock and applied commits). After the events stop and one sweep runs, every service runs Git
 * HEAD; no Git change was ever reverted or proposed away; every intent has exactly one outcome. */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { IN_FLIGHT_MS } from '../../../shared/audit/intents.ts';
import { LedgerWriteError } from '../../../shared/errors.ts';
import { DynamoDbAppliedCommits } from '../../../shared/lock/applied-commit.ts';
import { ensureLockTable, LeaseLock } from '../../../shared/lock/lease.ts';
import { reconcile } from '../../../shared/reconcile/run.ts';
import type { ReconcileDependencies, ReconcileRequest } from '../../../shared/reconcile/types.ts';
import { type AwsSimulator, createAwsSimulator } from '../../../shared/sim/index.ts';
import { MemoryLedger } from '../../../shared/sim/memory-ledger.ts';
import { LocalGitSource } from '../../../shared/source/local-git.ts';
import type { ChangeProposer, Proposal } from '../../../shared/writeback/proposals.ts';
import { localDynamoDb } from '../../support/dynamodb.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../../support/fixtures.ts';
import { makeRepo, type TestRepo } from '../../support/git-repo.ts';

/** How many random sequences CI runs; each is a fresh repository, simulator and ledger. */
const SEQUENCES = 25;
const POLICIES = ['revert', 'alert', 'adopt'] as const;
type Policy = (typeof POLICIES)[number];
const SERVICES = POLICIES.map((policy) => `web-${policy}`);
const DECLARED_COUNT = 3;

type Event =
  | { readonly type: 'push'; readonly service: number; readonly delivery: 'run' | 'lost' | 'lock-held' }
  | { readonly type: 'manual'; readonly service: number; readonly count: number }
  | { readonly type: 'sweep' }
  | { readonly type: 'throttle' }
  | { readonly type: 'lost-ledger-write' };

const eventArbitrary: fc.Arbitrary<Event> = fc.oneof(
  fc.record({
    type: fc.constant('push' as const),
    service: fc.nat(SERVICES.length - 1),
    delivery: fc.constantFrom('run' as const, 'lost' as const, 'lock-held' as const),
  }),
  fc.record({
    type: fc.constant('manual' as const),
    service: fc.nat(SERVICES.length - 1),
    count: fc.integer({ min: 4, max: 9 }),
  }),
  fc.constant({ type: 'sweep' as const }),
  fc.constant({ type: 'throttle' as const }),
  fc.constant({ type: 'lost-ledger-write' as const }),
);

function declaration(template: string, service: string, policy: Policy, version: number): string {
  return template
    .replace('  name: web\n', `  name: ${service}\n`)
    .replace('    family: web\n', `    family: ${service}\n`)
    .replace('web:1.4.2', `web:${version}.0.0`)
    .replace('  wave: 1\n', `  wave: 1\n  drift: ${policy}\n`);
}

/** Proposals driftless opens (drift adoption), kept to check that none writes a Git change away. */
class RecordingProposer implements ChangeProposer {
  readonly proposals: { proposal: Proposal; versions: number[] }[] = [];
  constructor(private readonly versions: number[]) {}
  async propose(proposal: Proposal) {
    this.proposals.push({ proposal, versions: [...this.versions] });
    return { status: 'opened' as const, branch: proposal.branch, commitId: 'f'.repeat(40) };
  }
}

async function liveVersion(simulator: AwsSimulator, service: string): Promise<number | undefined> {
  const live = simulator
    .services()
    .find((candidate) => candidate.serviceName === service && candidate.status === 'ACTIVE');
  if (!live?.taskDefinition) return undefined;
  const described = await simulator.ecs.send(
    new DescribeTaskDefinitionCommand({ taskDefinition: live.taskDefinition }),
  );
  const image = described.taskDefinition?.containerDefinitions?.[0]?.image ?? '';
  return Number(/:(\d+)\.0\.0$/.exec(image)?.[1]);
}

describe('Git stays the truth (model-based)', () => {
  let dynamo: DynamoDBClient;
  const lockTable = `model-lock-${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    dynamo = localDynamoDb();
    await ensureLockTable(dynamo, lockTable);
  });

  it(`converges on Git HEAD over ${SEQUENCES} random event sequences`, { timeout: 240_000 }, async () => {
    const files = await readTree(EXAMPLE_REPO_DIR);
    const template = files['services/web.yaml']!.toString();
    await fc.assert(
      fc.asyncProperty(fc.array(eventArbitrary, { minLength: 1, maxLength: 8 }), async (events) => {
        const versions = SERVICES.map(() => 1);
        const repo: TestRepo = await makeRepo({
          'driftless.yaml': files['driftless.yaml']!,
          ...Object.fromEntries(
            SERVICES.map((service, index) => [
              `services/${service}.yaml`,
              declaration(template, service, POLICIES[index]!, versions[index]!),
            ]),
          ),
        });
        const simulator = createAwsSimulator({ seed: 3 });
        try {
          const ledger = new MemoryLedger();
          // A lost ledger write: the next outcome entry after an AWS write is not stored (the function died, or
          // DynamoDB refused it), so its intent stays unpaired until a later run recovers it from live state.
          let loseNextOutcome = false;
          const losingLedger = Object.assign(Object.create(ledger) as MemoryLedger, {
            append: async (entry: Parameters<MemoryLedger['append']>[0]) => {
              if (loseNextOutcome && entry.kind === 'outcome' && entry.actionId) {
                loseNextOutcome = false;
                throw new LedgerWriteError('the outcome entry was lost');
              }
              return ledger.append(entry);
            },
          });
          let clock = Date.now();
          const lock = new LeaseLock({ tableName: lockTable, client: dynamo });
          const proposer = new RecordingProposer(versions);
          const repository = `model-${randomUUID().slice(0, 8)}`;
          const deps: ReconcileDependencies = {
            source: new LocalGitSource({ repoDir: repo.dir }),
            ecs: simulator.ecs,
            cloudFormation: simulator.cloudFormation,
            ledger: losingLedger,
            lock,
            proposer,
            now: () => clock,
            appliedCommits: new DynamoDbAppliedCommits(lockTable, dynamo),
          };
          const request = (trigger: ReconcileRequest['trigger'], changedSince?: string): ReconcileRequest => ({
            repository,
            branch: 'main',
            trigger,
            installationId: 'model',
            applyOptions: { changeSetPollMs: 1, baseDelayMs: 1, maxAttempts: 2 },
            ...(changedSince ? { changedSince } : {}),
          });
          // A run may fail (throttled writes, a lost ledger write): the event goes back for a retry or to the
          // dead-letter queue, and the model moves on as production would.
          const run = async (trigger: ReconcileRequest['trigger'], changedSince?: string) => {
            await reconcile(request(trigger, changedSince), deps).catch(() => undefined);
            simulator.advance();
            clock += 60_000;
          };
          const highest = SERVICES.map(() => 0);
          const checkNeverBackwards = async () => {
            for (const [index, service] of SERVICES.entries()) {
              const version = (await liveVersion(simulator, service)) ?? 0;
              // An older image would be a Git change reverted.
              expect(version, `${service} went back from ${highest[index]} to ${version}`).toBeGreaterThanOrEqual(
                highest[index]!,
              );
              highest[index] = version;
            }
          };

          await run('manual');
          await checkNeverBackwards();
          for (const event of events) {
            if (event.type === 'push') {
              const before = (await repo.git('rev-parse', 'HEAD')).toString().trim();
              versions[event.service] = versions[event.service]! + 1;
              const service = SERVICES[event.service]!;
              await repo.commit(
                {
                  [`services/${service}.yaml`]: declaration(
                    template,
                    service,
                    POLICIES[event.service]!,
                    versions[event.service]!,
                  ),
                },
                `${service}: ${versions[event.service]}.0.0`,
              );
              if (event.delivery === 'run') await run('push', before);
              if (event.delivery === 'lock-held') {
                const held = await lock.acquire({ repository, branch: 'main' }, 'another-run');
                await run('push', before);
                await held?.release();
              }
            } else if (event.type === 'manual') {
              simulator.driftService('prod', SERVICES[event.service]!, (service) => {
                service.desiredCount = event.count;
              });
            } else if (event.type === 'sweep') {
              await run('schedule');
            } else if (event.type === 'throttle') {
              simulator.injectFault('ECS.UpdateService', 'throttle', 3);
            } else {
              loseNextOutcome = true;
            }
            await checkNeverBackwards();
          }

          // The events stop; one sweep runs, once any run that could still be writing has ended (recovery waits for
          // the longest a function may run before it judges an unpaired intent).
          simulator.clearFaults();
          loseNextOutcome = false;
          clock += IN_FLIGHT_MS + 60_000;
          await run('schedule');
          await checkNeverBackwards();

          for (const [index, service] of SERVICES.entries()) {
            expect(await liveVersion(simulator, service), `${service} runs Git HEAD`).toBe(versions[index]);
          }
          const reverted = simulator.services().find((candidate) => candidate.serviceName === 'web-revert');
          expect(reverted?.desiredCount, 'web-revert drift reverted').toBe(DECLARED_COUNT);
          for (const { proposal, versions: atProposal } of proposer.proposals) {
            const text = proposal.files[0]?.content ?? '';
            // An adoption writes live values into the file at HEAD: never an older image than Git's.
            expect(text).toContain(`web:${atProposal[2]}.0.0`);
          }
          const outcomes = new Map<string, number>();
          for (const entry of ledger.entries) {
            if (entry.kind === 'outcome' && entry.actionId) {
              outcomes.set(entry.actionId, (outcomes.get(entry.actionId) ?? 0) + 1);
            }
          }
          for (const intent of ledger.entries.filter((entry) => entry.kind === 'intent')) {
            expect(outcomes.get(intent.actionId!), `intent ${intent.action} on ${intent.resourceId}`).toBe(1);
          }
        } finally {
          simulator.restore();
          await repo.cleanup();
        }
      }),
      { numRuns: SEQUENCES },
    );
  });
});
