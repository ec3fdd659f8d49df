/** Drift policy (revert, alert, adopt) and break-glass pauses, end to end through the real handlers: the simulator,
 * DynamoDB Local, a real git repository, and CodeCommit (the adopt pull request) behind aws-sdk-client-mock. */
import {
  CodeCommitClient,
  CreateBranchCommand,
  CreateCommitCommand,
  CreatePullRequestCommand,
} from '@aws-sdk/client-codecommit';
import { DescribeTaskDefinitionCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { RepositoryStateChangeEvent, ScheduledEvent } from '../../functions/events.ts';
import { createPushHandler } from '../../functions/push.ts';
import { createSweepHandler } from '../../functions/sweep.ts';
import { newEntryId } from '../../shared/audit/ids.ts';
import { breakGlassEntry } from '../../shared/audit/pauses.ts';
import type { AwsSimulator } from '../../shared/sim/index.ts';
import { CodeCommitProposer, pullRequestToken } from '../../shared/writeback/codecommit-proposer.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../support/fixtures.ts';
import { createHarness, eventFixture, type Harness, REGION, REPOSITORY, writeCount } from './support.ts';

const SCHEDULED = eventFixture<ScheduledEvent>('scheduled-event');
const WEB_ID = 'EcsService:prod/web';
const PR_COMMIT = '4c925148b2c3d4e5f60718293a4b5c6d7e8f9012';
const HOUR = 3_600_000;

function pushEvent(detail: Record<string, unknown>): RepositoryStateChangeEvent {
  return eventFixture<RepositoryStateChangeEvent>('codecommit-reference-updated', detail);
}

async function exampleWeb(): Promise<string> {
  return (await readTree(EXAMPLE_REPO_DIR))['services/web.yaml']!.toString();
}

/** A console hot-fix: a new task definition revision with one environment variable set, and the service moved to it. */
async function hotfixVariable(simulator: AwsSimulator, name: string, value: string): Promise<void> {
  const service = simulator.services().find((candidate) => candidate.serviceName === 'web')!;
  const { taskDefinition: current } = await simulator.ecs.send(
    new DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinition }),
  );
  const definition = current!;
  const registered = await simulator.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: definition.family!,
      cpu: definition.cpu,
      memory: definition.memory,
      networkMode: definition.networkMode,
      requiresCompatibilities: definition.requiresCompatibilities,
      runtimePlatform: definition.runtimePlatform,
      executionRoleArn: definition.executionRoleArn,
      taskRoleArn: definition.taskRoleArn,
      containerDefinitions: (definition.containerDefinitions ?? []).map((container) => ({
        ...container,
        environment: [...(container.environment ?? []).filter((variable) => variable.name !== name), { name, value }],
      })),
    }),
  );
  simulator.driftService('prod', 'web', (live) => {
    live.taskDefinition = registered.taskDefinition?.taskDefinitionArn;
  });
  simulator.advance();
  simulator.resetCalls();
}

/** CreatePullRequest's response as the CodeCommit API reference shows it. */
function pullRequestResponse(id: string, branch: string, base: string) {
  return {
    pullRequest: {
      pullRequestId: id,
      title: 'Adopt live web',
      pullRequestStatus: 'OPEN' as const,
      authorArn: 'arn:aws:sts::123456789012:assumed-role/driftless-sweep/fn',
      creationDate: new Date('2026-11-27T10:00:00Z'),
      lastActivityDate: new Date('2026-11-27T10:00:00Z'),
      clientRequestToken: pullRequestToken(REPOSITORY, branch),
      revisionId: 'a1b2c3d4',
      pullRequestTargets: [
        {
          repositoryName: REPOSITORY,
          sourceReference: `refs/heads/${branch}`,
          destinationReference: 'refs/heads/main',
          sourceCommit: PR_COMMIT,
          destinationCommit: base,
          mergeBase: base,
          mergeMetadata: { isMerged: false },
        },
      ],
    },
  };
}

describe('drift policy', () => {
  let harness: Harness | undefined;
  const codeCommitClient = new CodeCommitClient({
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  const codeCommit = mockClient(codeCommitClient);
  afterEach(async () => {
    codeCommit.reset();
    await harness?.cleanup();
    harness = undefined;
  });

  async function harnessWithPolicy(policy: 'alert' | 'adopt', withProposer = true): Promise<Harness> {
    const created = await createHarness(
      withProposer
        ? { deps: { proposer: new CodeCommitProposer({ repositoryName: REPOSITORY, client: codeCommitClient }) } }
        : {},
    );
    await created.repo.commit(
      { 'services/web.yaml': (await exampleWeb()).replace('  wave: 1\n', `  wave: 1\n  drift: ${policy}\n`) },
      `web: drift policy ${policy}`,
    );
    await created.bootstrap();
    return created;
  }

  it('alert: records and announces the drift with its policy, and reverts nothing', async () => {
    // Prepare
    harness = await harnessWithPolicy('alert');
    harness.simulator.driftService('prod', 'web', (service) => {
      service.desiredCount = 1;
    });

    // Act
    const result = await createSweepHandler(harness.deps)(SCHEDULED);

    // Assess
    const alertReason =
      'drift detected; drift policy alert (sync.drift in the declaration), so it is recorded and announced, not reverted';
    expect(result).toMatchObject({
      outcome: 'reconciled',
      status: 'held',
      driftHeld: [WEB_ID],
      held: [{ resourceId: WEB_ID, reason: alertReason }],
      reason: `1 held: ${WEB_ID} — ${alertReason}`,
      counts: { skipped: 1 },
    });
    expect(writeCount(harness.simulator)).toBe(0);
    expect(harness.simulator.services().find((service) => service.serviceName === 'web')?.desiredCount).toBe(1);
    // Announced once, as drift: not again as Reconcile Held.
    expect(harness.announced()).toEqual(['Drift Detected']);
    expect(harness.details('Drift Detected')[0]).toMatchObject({ policies: { [WEB_ID]: 'alert' }, selfHeal: false });
    const held = (await harness.ledger.resourceHistory(WEB_ID)).find((entry) => entry.result === 'skipped');
    expect(held).toMatchObject({
      kind: 'outcome',
      trigger: 'schedule',
      reason:
        'drift detected; drift policy alert (sync.drift in the declaration), so it is recorded and announced, not reverted',
      changes: [{ path: '/spec/desiredCount', before: 1, after: 3 }],
    });
    expect(codeCommit.calls()).toHaveLength(0);
  });

  it('adopt: opens a pull request whose commit writes the live value into the declaration, and reverts nothing', async () => {
    // Prepare
    harness = await harnessWithPolicy('adopt');
    const declared = (await harness.repo.git('show', 'HEAD:services/web.yaml')).toString();
    const head = (await harness.repo.git('rev-parse', 'HEAD')).toString().trim();
    await hotfixVariable(harness.simulator, 'LOG_LEVEL', 'debug');
    codeCommit.on(CreateBranchCommand).resolves({});
    codeCommit.on(CreateCommitCommand).resolves({
      commitId: PR_COMMIT,
      treeId: '8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90123',
      filesAdded: [],
      filesUpdated: [{ absolutePath: 'services/web.yaml', blobId: 'b'.repeat(40), fileMode: 'NORMAL' }],
      filesDeleted: [],
    });
    codeCommit
      .on(CreatePullRequestCommand)
      .callsFake((input) => pullRequestResponse('17', input.targets[0].sourceReference, head));

    // Act
    const result = await createSweepHandler(harness.deps)(SCHEDULED);

    // Assess: nothing reverted
    expect(result).toMatchObject({
      outcome: 'reconciled',
      status: 'held',
      driftHeld: [WEB_ID],
      held: [{ resourceId: WEB_ID, reason: expect.stringMatching(/^drift adopted: pull request 17 opened on /) }],
    });
    expect(writeCount(harness.simulator)).toBe(0);
    // One branch at the head read, one commit with exactly the declaration and the live value, one pull request.
    const [branchCall] = codeCommit.commandCalls(CreateBranchCommand);
    const branch = branchCall?.args[0].input.branchName ?? '';
    expect(branch).toMatch(/^driftless\/adopt\/prod-web-[0-9a-f]{8}$/);
    expect(branchCall?.args[0].input).toEqual({ repositoryName: REPOSITORY, branchName: branch, commitId: head });
    const [commitCall] = codeCommit.commandCalls(CreateCommitCommand);
    const commitInput = commitCall!.args[0].input;
    expect(commitInput).toMatchObject({ repositoryName: REPOSITORY, branchName: branch, parentCommitId: head });
    expect(commitInput.putFiles?.map((file) => file.filePath)).toEqual(['services/web.yaml']);
    const proposed = new TextDecoder().decode(commitInput.putFiles?.[0]?.fileContent);
    expect(proposed).toBe(declared.replace('{ name: LOG_LEVEL, value: info }', '{ name: LOG_LEVEL, value: debug }'));
    const [pullRequestCall] = codeCommit.commandCalls(CreatePullRequestCommand);
    expect(pullRequestCall?.args[0].input).toMatchObject({
      title: 'Adopt live web: 1 field changed outside Git',
      targets: [{ repositoryName: REPOSITORY, sourceReference: branch, destinationReference: 'main' }],
    });
    expect(pullRequestCall?.args[0].input.description).toContain(
      '| `/spec/taskDefinition/containerDefinitions/web/environment/LOG_LEVEL` | `"debug"` | `"info"` |',
    );
    // Recorded and announced with the pull request.
    const adopted = (await harness.ledger.resourceHistory(WEB_ID)).find((entry) => entry.result === 'skipped');
    expect(adopted).toMatchObject({
      reason: `drift adopted: pull request 17 opened on ${branch}`,
      references: { pullRequestId: '17' },
    });
    expect(harness.details('Drift Detected')[0]).toMatchObject({
      policies: { [WEB_ID]: 'adopt' },
      adopted: [{ resourceId: WEB_ID, branch, pullRequestId: '17', status: 'opened' }],
    });

    // Act again: the pull request is merged; the next sweep finds Git and live in agreement.
    await harness.repo.commit({ 'services/web.yaml': proposed }, 'Merge adopt pull request 17');
    codeCommit.resetHistory();
    const after = await createSweepHandler(harness.deps)(SCHEDULED);

    // Assess
    expect(after).toMatchObject({ outcome: 'reconciled', status: 'in-sync', driftHeld: [] });
    expect(writeCount(harness.simulator)).toBe(0);
    expect(codeCommit.calls()).toHaveLength(0);
  });

  it('adopt refuses a masked live value and falls back to alert: nothing reaches Git', async () => {
    // Prepare
    harness = await harnessWithPolicy('adopt');
    await hotfixVariable(harness.simulator, 'API_TOKEN', 'tok-1234567890');

    // Act
    const result = await createSweepHandler(harness.deps)(SCHEDULED);

    // Assess
    expect(result).toMatchObject({ outcome: 'reconciled', driftHeld: [WEB_ID] });
    expect(writeCount(harness.simulator)).toBe(0);
    expect(codeCommit.calls()).toHaveLength(0);
    const held = (await harness.ledger.resourceHistory(WEB_ID)).find((entry) => entry.result === 'skipped');
    expect(held?.reason).toMatch(
      /^drift detected; drift policy adopt, but the live value of \/spec\/taskDefinition\/containerDefinitions\/web\/environment\/API_TOKEN is masked .*falling back to alert/,
    );
    expect(JSON.stringify(held)).not.toContain('tok-1234567890');
  });

  it('adopt refuses to replace a stack-output reference with a literal and falls back to alert', async () => {
    // Prepare: web's subnets come from the network stack's outputs; someone moves web to other subnets by hand.
    harness = await harnessWithPolicy('adopt');
    const template = (await harness.repo.git('show', 'HEAD:stacks/network.template.yaml')).toString();
    const web = (await harness.repo.git('show', 'HEAD:services/web.yaml')).toString();
    await harness.repo.commit(
      {
        'stacks/network.template.yaml': `${template}  PrivateSubnetAId:\n    Value: !Ref PrivateSubnetA\n  PrivateSubnetBId:\n    Value: !Ref PrivateSubnetB\n`,
      },
      'network: subnet outputs',
    );
    await harness.bootstrap();
    await harness.repo.commit(
      {
        'services/web.yaml': web.replace(
          'subnets: [subnet-0a1b2c3d4e5f60718, subnet-0b2c3d4e5f6071829]',
          'subnets: ["${stack:platform-network.PrivateSubnetAId}", "${stack:platform-network.PrivateSubnetBId}"]',
        ),
      },
      'web: subnets from the network stack outputs',
    );
    await harness.bootstrap();
    harness.simulator.driftService('prod', 'web', (service) => {
      service.networkConfiguration = {
        awsvpcConfiguration: {
          ...service.networkConfiguration?.awsvpcConfiguration,
          subnets: ['subnet-0ffffffffffffffff'],
        },
      };
    });

    // Act
    const result = await createSweepHandler(harness.deps)(SCHEDULED);

    // Assess
    expect(result).toMatchObject({ outcome: 'reconciled', driftHeld: [WEB_ID] });
    expect(writeCount(harness.simulator)).toBe(0);
    expect(codeCommit.calls()).toHaveLength(0);
    const held = (await harness.ledger.resourceHistory(WEB_ID)).find((entry) => entry.result === 'skipped');
    expect(held?.reason).toMatch(
      /^drift detected; drift policy adopt, but \$\{stack:platform-network\.PrivateSubnetAId\}, \$\{stack:platform-network\.PrivateSubnetBId\} would be replaced by a literal value/,
    );
  });

  it('adopt without a change proposer falls back to alert', async () => {
    // Prepare
    harness = await harnessWithPolicy('adopt', false);
    harness.simulator.driftService('prod', 'web', (service) => {
      service.desiredCount = 2;
    });

    // Act
    const result = await createSweepHandler(harness.deps)(SCHEDULED);

    // Assess
    expect(result).toMatchObject({ outcome: 'reconciled', driftHeld: [WEB_ID] });
    expect(writeCount(harness.simulator)).toBe(0);
    const held = (await harness.ledger.resourceHistory(WEB_ID)).find((entry) => entry.result === 'skipped');
    expect(held?.reason).toBe(
      'drift detected; drift policy adopt, but no change proposer is configured: falling back to alert, so it is recorded and announced, not reverted',
    );
  });
});

describe('break-glass pause', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });

  async function pause(target: Harness, at: number, durationMs: number, kind: 'pause' | 'resume' = 'pause') {
    await target.ledger.append(
      breakGlassEntry({
        kind,
        entryId: newEntryId(new Date(at)),
        repository: REPOSITORY,
        branch: 'main',
        commitId: (await target.repo.git('rev-parse', 'HEAD')).toString().trim(),
        resourceId: WEB_ID,
        by: 'arn:aws:sts::123456789012:assumed-role/OnCall/Jorge_Souza',
        reason: 'INC-4411: investigating the checkout outage',
        now: at,
        ...(kind === 'pause' ? { durationMs } : {}),
      }),
    );
  }

  it('holds drift and pushes while active, and lets the sweep revert once it has expired by itself', async () => {
    // Prepare
    harness = await createHarness();
    const before = await harness.bootstrap();
    let clock = Date.now();
    const deps = { ...harness.deps, now: () => clock };
    await pause(harness, clock, 2 * HOUR);
    const until = new Date(clock + 2 * HOUR).toISOString();
    harness.simulator.driftService('prod', 'web', (service) => {
      service.desiredCount = 1;
    });

    // Act: a sweep and a push inside the window
    const sweep = await createSweepHandler(deps)(SCHEDULED);
    clock += 60_000;
    const pushed = await harness.bumpImage('1.4.3');
    const push = await createPushHandler(deps)(pushEvent({ commitId: pushed, oldCommitId: before }));

    // Assess: drift recorded, push planned, nothing applied
    const reason = `paused until ${until} by arn:aws:sts::123456789012:assumed-role/OnCall/Jorge_Souza: INC-4411: investigating the checkout outage`;
    expect(sweep).toMatchObject({ outcome: 'reconciled', status: 'held', driftHeld: [WEB_ID] });
    expect(push).toMatchObject({
      outcome: 'reconciled',
      status: 'held',
      driftHeld: [WEB_ID],
      held: [{ resourceId: WEB_ID, reason: `${reason} (changes planned, not applied)` }],
      counts: { skipped: 1 },
      announced: ['Reconcile Held'],
    });
    expect(writeCount(harness.simulator)).toBe(0);
    expect(harness.details('Drift Detected')[0]).toMatchObject({ policies: { [WEB_ID]: 'paused' } });
    expect(harness.details('Reconcile Held')).toEqual([
      expect.objectContaining({
        trigger: 'push',
        status: 'held',
        resourceIds: [WEB_ID],
        held: [{ resourceId: WEB_ID, reason: `${reason} (changes planned, not applied)` }],
      }),
    ]);
    // The sweep's and the push's run entries (the bootstrap's comes before them).
    const runEntries = (
      await harness.ledger.window({
        since: new Date(clock - HOUR).toISOString(),
        until: new Date(clock + HOUR).toISOString(),
      })
    )
      .filter((entry) => entry.kind === 'run')
      .slice(-2);
    expect(runEntries.map((entry) => [entry.trigger, entry.result, entry.summary])).toEqual([
      ['schedule', 'skipped', { skipped: 1, 'in-sync': 3 }],
      ['push', 'skipped', { skipped: 1 }],
    ]);
    expect(runEntries[1]?.reason).toBe(`1 held: ${WEB_ID} — ${reason} (changes planned, not applied)`);
    const skipped = (await harness.ledger.resourceHistory(WEB_ID)).filter((entry) => entry.result === 'skipped');
    expect(skipped.map((entry) => [entry.trigger, entry.reason])).toEqual([
      ['push', `${reason} (changes planned, not applied)`],
      ['schedule', `${reason} (drift recorded, not reverted)`],
    ]);
    expect(skipped[0]?.changes).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: expect.stringMatching(/\/image$/) })]),
    );

    // Act: the clock moves past the window; nothing was written to end it
    clock = Date.parse(until) + 1;
    const healing = await createSweepHandler(deps)(SCHEDULED);

    // Assess: the sweep reverts the drift and applies the pushed image
    expect(healing).toMatchObject({ outcome: 'reconciled', status: 'applied', driftHeld: [] });
    const web = harness.simulator.services().find((service) => service.serviceName === 'web');
    expect(web?.desiredCount).toBe(3);
    const running = harness.simulator
      .taskDefinitions()
      .find((revision) => revision.taskDefinition.taskDefinitionArn === web?.taskDefinition);
    expect(running?.taskDefinition.containerDefinitions?.[0]?.image).toMatch(/web:1\.4\.3$/);
  });

  it('ends at resume: the newest pause or resume entry of a resource wins', async () => {
    // Prepare
    harness = await createHarness();
    await harness.bootstrap();
    const now = Date.now();
    await pause(harness, now - 60_000, 4 * HOUR);
    await pause(harness, now - 1_000, 0, 'resume');
    harness.simulator.driftService('prod', 'web', (service) => {
      service.desiredCount = 1;
    });

    // Act
    const sweep = await createSweepHandler(harness.deps)(SCHEDULED);

    // Assess
    expect(sweep).toMatchObject({ outcome: 'reconciled', status: 'applied', driftHeld: [] });
    expect(harness.simulator.services().find((service) => service.serviceName === 'web')?.desiredCount).toBe(3);
    expect(await harness.ledger.activePauses(REPOSITORY, 'main', now)).toEqual([]);
    const history = await harness.ledger.resourceHistory(WEB_ID);
    expect(history.filter((entry) => entry.kind === 'pause' || entry.kind === 'resume').map((e) => e.kind)).toEqual([
      'resume',
      'pause',
    ]);
  });
});
