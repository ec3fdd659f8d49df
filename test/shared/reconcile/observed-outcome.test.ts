/** The verdict on an unpaired intent from live state: succeeded only on evidence, failed otherwise. */
import { describe, expect, it } from 'vitest';
import { newEntryId } from '../../../shared/audit/ids.ts';
import type { LedgerEntry } from '../../../shared/audit/ledger.ts';
import { MASKED_VALUE } from '../../../shared/plan/mask.ts';
import { observedOutcome } from '../../../shared/reconcile/observed-outcome.ts';
import { liveService, liveStack } from '../../support/snapshots.ts';

const TIME = '2027-02-01T10:00:00.000Z';
const TD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web';

function intent(fields: Partial<LedgerEntry>): LedgerEntry {
  return {
    entryId: newEntryId(TIME),
    kind: 'intent',
    time: TIME,
    runId: 'run-dead',
    trigger: 'push',
    repository: 'platform-config',
    branch: 'main',
    commitId: 'c0ffee00c0ffee00',
    dryRun: false,
    actionId: 'a1',
    resourceId: 'EcsService:prod/web',
    action: 'UpdateService',
    ...fields,
  };
}

function web(service: Record<string, unknown> = {}, taskDefinitionTags: { key: string; value: string }[] = []) {
  return liveService(
    'prod',
    'web',
    { serviceName: 'web', status: 'ACTIVE', desiredCount: 3, taskDefinition: `${TD}:7`, ...service },
    { family: 'web', taskDefinitionArn: `${TD}:7`, cpu: '256', memory: '512', containerDefinitions: [] },
    taskDefinitionTags,
  );
}

const TEMPLATE = 'Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n';

/** The stack as the reader answers it; `null`: its template was not read (the stack is busy). */
function network(stack: Record<string, unknown> = {}, templateBody: string | null = TEMPLATE) {
  return liveStack(
    'platform-network',
    {
      StackStatus: 'UPDATE_COMPLETE',
      Parameters: [{ ParameterKey: 'Environment', ParameterValue: 'staging' }],
      Tags: [{ Key: 'driftless:commit', Value: 'c0ffee00c0ffee00' }],
      ...stack,
    },
    templateBody ?? undefined,
  );
}

describe('observedOutcome', () => {
  it.each([
    [
      'a desiredCount that is live',
      { desiredCount: 3 },
      'succeeded',
      /shows every announced change \(\/spec\/desiredCount\)/,
    ],
    [
      'a desiredCount that is not',
      { desiredCount: 2 },
      'failed',
      /does not show the announced value at \/spec\/desiredCount/,
    ],
  ])('judges an UpdateService by its changes: %s', (_what, service, result, reason) => {
    // Prepare
    const update = intent({ changes: [{ path: '/spec/desiredCount', before: 2, after: 3 }] });

    // Act
    const observed = observedOutcome(update, web(service));

    // Assess
    expect(observed).toEqual({ result, evidence: expect.stringMatching(reason) });
  });

  it('judges an UpdateService by the revision it set, before its changes', () => {
    // Prepare
    const update = intent({ references: { taskDefinitionArn: `${TD}:8` } });

    // Act
    const running = observedOutcome(update, web({ taskDefinition: `${TD}:8` }));
    const notRunning = observedOutcome(update, web());

    // Assess
    expect(running).toEqual({
      result: 'succeeded',
      evidence: expect.stringContaining('runs the task definition this intent set (web:8)'),
    });
    expect(notRunning).toEqual({
      result: 'failed',
      evidence: expect.stringContaining('does not run the task definition'),
    });
  });

  it('compares a create as a whole, value by value, and only what it set', () => {
    // Prepare: the create announced the whole declaration; live adds fields of its own (deployment defaults).
    const create = intent({
      action: 'CreateService',
      changes: [{ path: '/', after: { spec: { desiredCount: 3, propagateTags: 'SERVICE' } } }],
    });

    // Act
    const live = observedOutcome(create, web({ propagateTags: 'SERVICE' }));
    const missing = observedOutcome(create, undefined);
    const other = observedOutcome(create, web({ propagateTags: 'NONE' }));

    // Assess
    expect(live.result).toBe('succeeded');
    expect(missing).toEqual({ result: 'failed', evidence: 'the resource does not exist' });
    expect(other).toEqual({ result: 'failed', evidence: expect.stringContaining('/spec/propagateTags') });
  });

  it('never calls a masked value evidence, and never names a value in its reason', () => {
    // Prepare
    const update = intent({
      action: 'RegisterTaskDefinition',
      changes: [{ path: '/spec/taskDefinition/containerDefinitions/web/environment/API_TOKEN', after: MASKED_VALUE }],
    });

    // Act
    const unknown = observedOutcome(update, web());
    const tagged = observedOutcome(update, web({}, [{ key: 'driftless:commit', value: 'c0ffee00c0ffee00' }]));

    // Assess
    expect(unknown).toEqual({ result: 'failed', evidence: 'live state cannot show that it took effect' });
    expect(tagged).toEqual({
      result: 'succeeded',
      evidence: expect.stringContaining('driftless:commit tag of c0ffee00c0ff'),
    });
  });

  it.each([
    ['DeleteService', undefined, 'succeeded', 'the resource is gone'],
    ['DeleteService', { status: 'DRAINING' }, 'succeeded', 'the resource is being deleted (DRAINING)'],
    ['DeleteService', { status: 'ACTIVE' }, 'failed', 'the resource is still there (ACTIVE)'],
  ] as const)('judges %s by whether the service is there (%j)', (action, service, result, evidence) => {
    // Act
    const observed = observedOutcome(intent({ action }), service === undefined ? undefined : web(service));

    // Assess
    expect(observed).toEqual({ result, evidence });
  });

  it('judges an ExecuteChangeSet by the change set the stack last executed, else by its changes', () => {
    // Prepare
    const arn = 'arn:aws:cloudformation:us-east-1:123456789012:changeSet/driftless-c0ffee-1/1';
    const execute = intent({
      resourceId: 'CloudFormationStack:platform-network',
      action: 'ExecuteChangeSet',
      references: { changeSetArn: arn },
      changes: [
        { path: '/spec/parameters/Environment', before: 'prod', after: 'staging' },
        { path: '/spec/template/Resources/Bucket/Type', before: 'AWS::SQS::Queue', after: 'AWS::S3::Bucket' },
      ],
    });

    // Act
    const running = observedOutcome(execute, network({ StackStatus: 'UPDATE_IN_PROGRESS', ChangeSetId: arn }, null));
    const done = observedOutcome(execute, network());
    const busyElsewhere = observedOutcome(execute, network({ StackStatus: 'UPDATE_IN_PROGRESS' }, null));
    const notDone = observedOutcome(
      execute,
      network({ Parameters: [{ ParameterKey: 'Environment', ParameterValue: 'prod' }] }),
    );

    // Assess
    expect(running.evidence).toContain("the stack's last executed change set is the one this intent executed");
    expect(done).toEqual({
      result: 'succeeded',
      evidence: expect.stringContaining('/spec/parameters/Environment, /spec/template'),
    });
    // Busy: the template cannot be read, so only the parameter is evidence.
    expect(busyElsewhere).toEqual({
      result: 'succeeded',
      evidence: expect.stringContaining('(/spec/parameters/Environment)'),
    });
    expect(notDone).toEqual({ result: 'failed', evidence: expect.stringContaining('/spec/parameters/Environment') });
  });

  it('judges termination protection by the flag, either way', () => {
    // Prepare
    const enable = intent({
      resourceId: 'CloudFormationStack:platform-network',
      action: 'UpdateTerminationProtection',
      changes: [{ path: '/spec/terminationProtection', after: true }],
    });
    const disable = { ...enable, changes: [{ path: '/spec/terminationProtection', after: false }] };

    // Act
    const verdicts = [
      observedOutcome(enable, network({ EnableTerminationProtection: true })).result,
      observedOutcome(enable, network({ EnableTerminationProtection: false })).result,
      observedOutcome(disable, network({ EnableTerminationProtection: false })).result,
      observedOutcome(disable, undefined).result,
    ];

    // Assess
    expect(verdicts).toEqual(['succeeded', 'failed', 'succeeded', 'failed']);
  });

  it('calls a CreateChangeSet failed when the stack shows none of its changes: nothing was executed', () => {
    // Prepare
    const create = intent({
      resourceId: 'CloudFormationStack:platform-network',
      action: 'CreateChangeSet',
      changes: [{ path: '/spec/parameters/Environment', before: 'staging', after: 'prod' }],
    });

    // Act
    const observed = observedOutcome(create, network());

    // Assess
    expect(observed.result).toBe('failed');
  });
});
