import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
  type DescribeStacksCommandInput,
  GetTemplateCommand,
  ListStacksCommand,
  type ListStacksCommandInput,
  type Stack,
  type StackSummary,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveReadError, LiveUnavailableError } from '../../../shared/errors.ts';
import { CloudFormationLiveReader } from '../../../shared/live/cloudformation.ts';
import type { LiveStack } from '../../../shared/plan/live-state.ts';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const CREATED = new Date('2024-01-10T08:00:00.000Z');
const UPDATED = new Date('2024-02-20T16:45:30.000Z');
const UPDATED_AGAIN = new Date('2024-03-05T12:00:00.000Z');
const TEMPLATE = 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Bucket:\n    Type: AWS::S3::Bucket\n';
const NEW_TEMPLATE = `${TEMPLATE}  Queue:\n    Type: AWS::SQS::Queue\n`;

function stackArn(name: string): string {
  return `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${name}/1a2b3c4d-5e6f-7a8b-9c0d-${name.padEnd(12, '0').slice(0, 12)}`;
}

/** A DescribeStacks `Stacks[]` item shaped like the API reference's example. */
function describedStack(name: string, overrides: Partial<Stack> = {}): Stack {
  return {
    StackId: stackArn(name),
    StackName: name,
    Description: `driftless stack ${name}`,
    Parameters: [{ ParameterKey: 'Environment', ParameterValue: 'prod' }],
    CreationTime: CREATED,
    LastUpdatedTime: UPDATED,
    RollbackConfiguration: {},
    StackStatus: 'UPDATE_COMPLETE',
    DisableRollback: false,
    NotificationARNs: [],
    Capabilities: ['CAPABILITY_IAM'],
    Outputs: [{ OutputKey: 'BucketName', OutputValue: `${name}-bucket`, Description: 'The bucket' }],
    Tags: [{ Key: 'driftless:managed-by', Value: 'inst-1' }],
    EnableTerminationProtection: false,
    DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
    ...overrides,
  };
}

function stackMissing(name: string): CloudFormationServiceException {
  return new CloudFormationServiceException({
    name: 'ValidationError',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message: `Stack with id ${name} does not exist`,
  });
}

function throttling(): CloudFormationServiceException {
  return new CloudFormationServiceException({
    name: 'Throttling',
    $fault: 'client',
    $metadata: { httpStatusCode: 400, attempts: 5 },
    message: 'Rate exceeded',
  });
}

function realClient(): CloudFormationClient {
  return new CloudFormationClient({
    region: REGION,
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: 3,
  });
}

function reader(): CloudFormationLiveReader {
  return new CloudFormationLiveReader({ client: realClient() });
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('CloudFormationLiveReader', () => {
  const cloudFormation = mockClient(CloudFormationClient);

  afterEach(() => {
    cloudFormation.reset();
  });

  describe('readStacks', () => {
    it('returns a stack with its Original template, dates as ISO strings', async () => {
      // Prepare
      cloudFormation.on(DescribeStacksCommand, { StackName: 'app-network' }).resolves({
        Stacks: [
          describedStack('app-network', {
            DriftInformation: { StackDriftStatus: 'IN_SYNC', LastCheckTimestamp: UPDATED_AGAIN },
          }),
        ],
      });
      cloudFormation
        .on(GetTemplateCommand)
        .resolves({ TemplateBody: TEMPLATE, StagesAvailable: ['Original', 'Processed'] });

      // Act
      const live = await reader().readStacks(['app-network']);

      // Assess
      const stack = live.resources.get('CloudFormationStack:app-network') as LiveStack;
      expect(stack).toMatchObject({
        kind: 'CloudFormationStack',
        id: 'CloudFormationStack:app-network',
        name: 'app-network',
        templateBody: TEMPLATE,
      });
      expect(stack.stack).toMatchObject({
        StackName: 'app-network',
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: '2024-01-10T08:00:00.000Z',
        LastUpdatedTime: '2024-02-20T16:45:30.000Z',
        DriftInformation: { StackDriftStatus: 'IN_SYNC', LastCheckTimestamp: '2024-03-05T12:00:00.000Z' },
      });
      expect(JSON.parse(JSON.stringify(stack))).toEqual(stack);
      expect(cloudFormation).toHaveReceivedCommandWith(GetTemplateCommand, {
        StackName: stackArn('app-network'),
        TemplateStage: 'Original',
      });
      expect(live.absent.size).toBe(0);
    });

    it('reports a stack that does not exist as absent', async () => {
      // Prepare
      cloudFormation.on(DescribeStacksCommand, { StackName: 'app-gone' }).rejects(stackMissing('app-gone'));

      // Act
      const live = await reader().readStacks(['app-gone']);

      // Assess
      expect([...live.absent]).toEqual(['CloudFormationStack:app-gone']);
      expect(live.resources.size).toBe(0);
      expect(cloudFormation).toHaveReceivedCommandTimes(GetTemplateCommand, 0);
    });

    it('reports a DELETE_COMPLETE stack as absent', async () => {
      // Prepare
      cloudFormation.on(DescribeStacksCommand).resolves({
        Stacks: [describedStack('app-old', { StackStatus: 'DELETE_COMPLETE', DeletionTime: UPDATED_AGAIN })],
      });

      // Act
      const live = await reader().readStacks(['app-old']);

      // Assess
      expect([...live.absent]).toEqual(['CloudFormationStack:app-old']);
      expect(live.resources.size).toBe(0);
      expect(cloudFormation).toHaveReceivedCommandTimes(GetTemplateCommand, 0);
    });

    it('returns a busy stack without reading its template', async () => {
      // Prepare
      cloudFormation
        .on(DescribeStacksCommand)
        .resolves({ Stacks: [describedStack('app-busy', { StackStatus: 'UPDATE_IN_PROGRESS' })] });

      // Act
      const live = await reader().readStacks(['app-busy']);

      // Assess
      const stack = live.resources.get('CloudFormationStack:app-busy');
      expect(stack).toBeDefined();
      expect(stack).not.toHaveProperty('templateBody');
      expect(cloudFormation).toHaveReceivedCommandTimes(GetTemplateCommand, 0);
    });

    it('returns a REVIEW_IN_PROGRESS stack, created by a change set never executed, as present', async () => {
      // Prepare
      cloudFormation.on(DescribeStacksCommand).resolves({
        Stacks: [describedStack('app-new', { StackStatus: 'REVIEW_IN_PROGRESS', LastUpdatedTime: undefined })],
      });

      // Act
      const live = await reader().readStacks(['app-new']);

      // Assess
      const stack = live.resources.get('CloudFormationStack:app-new') as LiveStack;
      expect(stack.stack.StackStatus).toBe('REVIEW_IN_PROGRESS');
      expect(live.absent.size).toBe(0);
      expect(cloudFormation).toHaveReceivedCommandTimes(GetTemplateCommand, 0);
    });

    it('reads the template once across two reads while LastUpdatedTime is unchanged', async () => {
      // Prepare
      cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [describedStack('app-network')] });
      cloudFormation.on(GetTemplateCommand).resolves({ TemplateBody: TEMPLATE });
      const cloudFormationReader = reader();

      // Act
      const first = await cloudFormationReader.readStacks(['app-network']);
      const second = await cloudFormationReader.readStacks(['app-network']);

      // Assess
      expect(cloudFormation).toHaveReceivedCommandTimes(DescribeStacksCommand, 2);
      expect(cloudFormation).toHaveReceivedCommandTimes(GetTemplateCommand, 1);
      expect((first.resources.get('CloudFormationStack:app-network') as LiveStack).templateBody).toBe(TEMPLATE);
      expect((second.resources.get('CloudFormationStack:app-network') as LiveStack).templateBody).toBe(TEMPLATE);
    });

    it('reads the template again once LastUpdatedTime has moved', async () => {
      // Prepare
      cloudFormation
        .on(DescribeStacksCommand)
        .resolvesOnce({ Stacks: [describedStack('app-network')] })
        .resolves({ Stacks: [describedStack('app-network', { LastUpdatedTime: UPDATED_AGAIN })] });
      cloudFormation
        .on(GetTemplateCommand)
        .resolvesOnce({ TemplateBody: TEMPLATE })
        .resolves({ TemplateBody: NEW_TEMPLATE });
      const cloudFormationReader = reader();

      // Act
      await cloudFormationReader.readStacks(['app-network']);
      const second = await cloudFormationReader.readStacks(['app-network']);

      // Assess
      expect(cloudFormation).toHaveReceivedCommandTimes(GetTemplateCommand, 2);
      expect((second.resources.get('CloudFormationStack:app-network') as LiveStack).templateBody).toBe(NEW_TEMPLATE);
    });

    it('reads the template again when the status changes at the same time, as after a rollback', async () => {
      // Prepare
      cloudFormation
        .on(DescribeStacksCommand)
        .resolvesOnce({ Stacks: [describedStack('app-network', { StackStatus: 'UPDATE_FAILED' })] })
        .resolves({ Stacks: [describedStack('app-network', { StackStatus: 'UPDATE_ROLLBACK_COMPLETE' })] });
      cloudFormation
        .on(GetTemplateCommand)
        .resolvesOnce({ TemplateBody: NEW_TEMPLATE })
        .resolves({ TemplateBody: TEMPLATE });
      const cloudFormationReader = reader();

      // Act
      await cloudFormationReader.readStacks(['app-network']);
      const second = await cloudFormationReader.readStacks(['app-network']);

      // Assess
      expect(cloudFormation).toHaveReceivedCommandTimes(GetTemplateCommand, 2);
      expect((second.resources.get('CloudFormationStack:app-network') as LiveStack).templateBody).toBe(TEMPLATE);
    });

    it('raises a retryable LiveReadError when throttling outlasts the SDK retries', async () => {
      // Prepare
      const error = throttling();
      cloudFormation.on(DescribeStacksCommand).rejects(error);

      // Act
      const raised = await rejectionOf(reader().readStacks(['app-network']));

      // Assess
      expect(raised).toBeInstanceOf(LiveUnavailableError);
      expect(raised).toMatchObject({ name: 'LiveUnavailableError', retryable: true, cause: error });
      expect((raised as Error).message).toContain('DescribeStacks app-network');
    });

    it('raises a terminal LiveReadError for a ValidationError other than a missing stack', async () => {
      // Prepare
      cloudFormation.on(DescribeStacksCommand).rejects(
        new CloudFormationServiceException({
          name: 'ValidationError',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: "1 validation error detected: Value 'bad name!' at 'stackName' failed to satisfy constraint",
        }),
      );

      // Act
      const raised = await rejectionOf(reader().readStacks(['bad name!']));

      // Assess
      expect(raised).toBeInstanceOf(LiveReadError);
      expect(raised).toMatchObject({ retryable: false });
    });

    it('raises a LiveReadError when GetTemplate fails, and reads it again on the next call', async () => {
      // Prepare
      cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [describedStack('app-network')] });
      cloudFormation.on(GetTemplateCommand).rejectsOnce(throttling()).resolves({ TemplateBody: TEMPLATE });
      const cloudFormationReader = reader();

      // Act
      const raised = await rejectionOf(cloudFormationReader.readStacks(['app-network']));
      const live = await cloudFormationReader.readStacks(['app-network']);

      // Assess
      expect(raised).toMatchObject({ name: 'LiveUnavailableError', retryable: true });
      expect((raised as Error).message).toContain('GetTemplate');
      expect((live.resources.get('CloudFormationStack:app-network') as LiveStack).templateBody).toBe(TEMPLATE);
    });
  });

  describe('listManagedStacks', () => {
    /** A ListStacks `StackSummaries[]` item shaped like the API reference's example. */
    function summary(name: string, overrides: Partial<StackSummary> = {}): StackSummary {
      return {
        StackId: stackArn(name),
        StackName: name,
        TemplateDescription: `driftless stack ${name}`,
        CreationTime: CREATED,
        StackStatus: 'CREATE_COMPLETE',
        DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
        ...overrides,
      };
    }

    it('pages through ListStacks, describes only the stacks with the prefix by name, and keeps the tagged ones', async () => {
      // Prepare
      const managedBy = (value: string) => [{ Key: 'driftless:managed-by', Value: value }];
      const described: Record<string, Stack> = {
        'app-network': describedStack('app-network', { Tags: managedBy('inst-1') }),
        'app-other': describedStack('app-other', { Tags: managedBy('inst-2') }),
        'app-queue': describedStack('app-queue', { Tags: managedBy('inst-1') }),
        'app-untagged': describedStack('app-untagged', { Tags: [] }),
      };
      cloudFormation.on(ListStacksCommand).callsFake((input: ListStacksCommandInput) =>
        input.NextToken === 'page-2'
          ? { StackSummaries: [summary('app-queue'), summary('app-untagged'), summary('app-gone')] }
          : {
              StackSummaries: [summary('app-network'), summary('app-other'), summary('other-network')],
              NextToken: 'page-2',
            },
      );
      cloudFormation.on(DescribeStacksCommand).callsFake((input: DescribeStacksCommandInput) => {
        const stack = described[input.StackName ?? ''];
        // Deleted between the listing and the describe: CloudFormation no longer knows it by name.
        if (!stack) throw stackMissing(input.StackName ?? '');
        return { Stacks: [stack] };
      });

      // Act
      const managed = await reader().listManagedStacks('inst-1', 'app-');

      // Assess
      expect(managed).toEqual(['app-network', 'app-queue']);
      expect(cloudFormation).toHaveReceivedCommandTimes(ListStacksCommand, 2);
      const listings = cloudFormation.commandCalls(ListStacksCommand).map((call) => call.args[0].input);
      expect(listings[0]?.NextToken).toBeUndefined();
      expect(listings[1]?.NextToken).toBe('page-2');
      for (const listing of listings) {
        expect(listing.StackStatusFilter).toContain('UPDATE_COMPLETE');
        expect(listing.StackStatusFilter).not.toContain('DELETE_COMPLETE');
      }
      const names = cloudFormation.commandCalls(DescribeStacksCommand).map((call) => call.args[0].input.StackName);
      expect(names.sort()).toEqual(['app-gone', 'app-network', 'app-other', 'app-queue', 'app-untagged']);
    });

    it('raises a retryable LiveReadError when throttled', async () => {
      // Prepare
      cloudFormation.on(ListStacksCommand).rejects(throttling());

      // Act
      const raised = await rejectionOf(reader().listManagedStacks('inst-1', 'app-'));

      // Assess
      expect(raised).toMatchObject({ name: 'LiveUnavailableError', retryable: true });
    });
  });
});
