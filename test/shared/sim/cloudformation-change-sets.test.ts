/** The simulated CloudFormation change sets: create, update, no-change submissions, refusals and rollbacks. */
import {
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  GetTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import type { AwsSimulator } from '../../../shared/sim/index.ts';
import { rejection, simulator, TEMPLATE_JSON, TEMPLATE_YAML } from './support.ts';

async function createStack(
  aws: AwsSimulator,
  name: string,
  body: string,
  parameters = [{ ParameterKey: 'Env', ParameterValue: 'prod' }],
) {
  await aws.cloudFormation.send(
    new CreateChangeSetCommand({
      StackName: name,
      ChangeSetName: 'create-1',
      ChangeSetType: 'CREATE',
      TemplateBody: body,
      Parameters: parameters,
      Tags: [{ Key: 'team', Value: 'core' }],
    }),
  );
  await aws.cloudFormation.send(new DescribeChangeSetCommand({ StackName: name, ChangeSetName: 'create-1' }));
  await aws.cloudFormation.send(new ExecuteChangeSetCommand({ StackName: name, ChangeSetName: 'create-1' }));
  aws.advance();
}

describe('CloudFormation change sets', () => {
  it('creates a stack: REVIEW_IN_PROGRESS, change set, execute, CREATE_COMPLETE', async () => {
    // Prepare
    const aws = simulator();

    // Act
    const created = await aws.cloudFormation.send(
      new CreateChangeSetCommand({
        StackName: 'network',
        ChangeSetName: 'create-1',
        ChangeSetType: 'CREATE',
        TemplateBody: TEMPLATE_YAML,
        Parameters: [{ ParameterKey: 'Env', ParameterValue: 'prod' }],
        Tags: [{ Key: 'team', Value: 'core' }],
      }),
    );
    const reviewing = await aws.cloudFormation.send(new DescribeStacksCommand({ StackName: 'network' }));
    const changeSet = await aws.cloudFormation.send(
      new DescribeChangeSetCommand({ StackName: 'network', ChangeSetName: 'create-1' }),
    );
    await aws.cloudFormation.send(new ExecuteChangeSetCommand({ ChangeSetName: created.Id }));
    const creating = await aws.cloudFormation.send(new DescribeStacksCommand({ StackName: 'network' }));
    aws.advance();
    const complete = await aws.cloudFormation.send(new DescribeStacksCommand({ StackName: 'network' }));
    const template = await aws.cloudFormation.send(new GetTemplateCommand({ StackName: 'network' }));

    // Assess
    expect(created.StackId).toMatch(
      /^arn:aws:cloudformation:us-east-1:123456789012:stack\/network\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(created.Id).toMatch(/:changeSet\/create-1\//);
    expect(reviewing.Stacks?.[0]?.StackStatus).toBe('REVIEW_IN_PROGRESS');
    expect(changeSet).toMatchObject({
      Status: 'CREATE_COMPLETE',
      ExecutionStatus: 'AVAILABLE',
      StackId: created.StackId,
    });
    expect(changeSet.Changes?.map((change) => change.ResourceChange)).toEqual([
      expect.objectContaining({ Action: 'Add', LogicalResourceId: 'Vpc', ResourceType: 'AWS::EC2::VPC' }),
      expect.objectContaining({ Action: 'Add', LogicalResourceId: 'Bucket', ResourceType: 'AWS::S3::Bucket' }),
    ]);
    expect(creating.Stacks?.[0]?.StackStatus).toBe('CREATE_IN_PROGRESS');
    const stack = complete.Stacks?.[0];
    expect(stack).toMatchObject({
      StackId: created.StackId,
      StackName: 'network',
      StackStatus: 'CREATE_COMPLETE',
      Description: 'network',
      Tags: [{ Key: 'team', Value: 'core' }],
      EnableTerminationProtection: false,
      DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
      Parameters: [
        { ParameterKey: 'Env', ParameterValue: 'prod' },
        { ParameterKey: 'CidrBlock', ParameterValue: '10.0.0.0/16' },
        { ParameterKey: 'Secret', ParameterValue: '****' },
      ],
    });
    expect(stack?.CreationTime).toBeInstanceOf(Date);
    expect(stack?.LastUpdatedTime).toBeInstanceOf(Date);
    const outputs = Object.fromEntries((stack?.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue]));
    expect(outputs.EnvName).toBe('prod');
    expect(outputs.Literal).toBe('fixed');
    expect(outputs.VpcId).toMatch(/^vpc-[0-9a-f]{17}$/);
    expect(template.TemplateBody).toBe(TEMPLATE_YAML);
    expect(template.StagesAvailable).toEqual(['Original', 'Processed']);
  });

  it('updates a stack: Add, Modify and Remove, then UPDATE_COMPLETE with the new template', async () => {
    // Prepare
    const aws = simulator();
    await createStack(aws, 'network', TEMPLATE_YAML);
    const next = TEMPLATE_YAML.replace(
      '  Bucket:\n    Type: AWS::S3::Bucket\n',
      '  Queue:\n    Type: AWS::SQS::Queue\n',
    );

    // Act
    await aws.cloudFormation.send(
      new CreateChangeSetCommand({
        StackName: 'network',
        ChangeSetName: 'update-1',
        ChangeSetType: 'UPDATE',
        TemplateBody: next,
        Parameters: [
          { ParameterKey: 'Env', UsePreviousValue: true },
          { ParameterKey: 'CidrBlock', ParameterValue: '10.1.0.0/16' },
        ],
      }),
    );
    const changeSet = await aws.cloudFormation.send(
      new DescribeChangeSetCommand({ StackName: 'network', ChangeSetName: 'update-1' }),
    );
    await aws.cloudFormation.send(new ExecuteChangeSetCommand({ StackName: 'network', ChangeSetName: 'update-1' }));
    const updating = await aws.cloudFormation.send(new DescribeStacksCommand({ StackName: 'network' }));
    aws.advance();
    const updated = await aws.cloudFormation.send(new DescribeStacksCommand({ StackName: 'network' }));
    const template = await aws.cloudFormation.send(new GetTemplateCommand({ StackName: 'network' }));

    // Assess
    const actions = Object.fromEntries(
      (changeSet.Changes ?? []).map((change) => [
        change.ResourceChange?.LogicalResourceId,
        change.ResourceChange?.Action,
      ]),
    );
    expect(actions).toEqual({ Vpc: 'Modify', Queue: 'Add', Bucket: 'Remove' });
    expect(updating.Stacks?.[0]?.StackStatus).toBe('UPDATE_IN_PROGRESS');
    expect(updated.Stacks?.[0]).toMatchObject({
      StackStatus: 'UPDATE_COMPLETE',
      Tags: [{ Key: 'team', Value: 'core' }],
      Parameters: expect.arrayContaining([
        { ParameterKey: 'Env', ParameterValue: 'prod' },
        { ParameterKey: 'CidrBlock', ParameterValue: '10.1.0.0/16' },
      ]),
    });
    expect(template.TemplateBody).toBe(next);
  });

  it('answers FAILED "didn\'t contain changes" when the same template comes as JSON instead of YAML', async () => {
    // Prepare
    const aws = simulator();
    await createStack(aws, 'network', TEMPLATE_YAML);

    // Act
    await aws.cloudFormation.send(
      new CreateChangeSetCommand({
        StackName: 'network',
        ChangeSetName: 'same',
        TemplateBody: TEMPLATE_JSON,
        Parameters: [{ ParameterKey: 'Env', ParameterValue: 'prod' }],
        Tags: [{ Key: 'team', Value: 'core' }],
      }),
    );
    const changeSet = await aws.cloudFormation.send(
      new DescribeChangeSetCommand({ StackName: 'network', ChangeSetName: 'same' }),
    );
    const execute = await rejection(
      aws.cloudFormation.send(new ExecuteChangeSetCommand({ StackName: 'network', ChangeSetName: 'same' })),
    );
    await aws.cloudFormation.send(new DeleteChangeSetCommand({ StackName: 'network', ChangeSetName: 'same' }));
    const deleted = await rejection(
      aws.cloudFormation.send(new DescribeChangeSetCommand({ StackName: 'network', ChangeSetName: 'same' })),
    );

    // Assess
    expect(changeSet).toMatchObject({
      Status: 'FAILED',
      StatusReason:
        "The submitted information didn't contain changes. Submit different information to create a change set.",
      ExecutionStatus: 'UNAVAILABLE',
    });
    expect(execute.name).toBe('InvalidChangeSetStatusException');
    expect(deleted.name).toBe('ChangeSetNotFoundException');
  });

  it('counts a tag change as a change', async () => {
    // Prepare
    const aws = simulator();
    await createStack(aws, 'network', TEMPLATE_YAML);

    // Act
    await aws.cloudFormation.send(
      new CreateChangeSetCommand({
        StackName: 'network',
        ChangeSetName: 'tags',
        TemplateBody: TEMPLATE_YAML,
        Parameters: [{ ParameterKey: 'Env', UsePreviousValue: true }],
        Tags: [{ Key: 'team', Value: 'platform' }],
      }),
    );
    const changeSet = await aws.cloudFormation.send(
      new DescribeChangeSetCommand({ StackName: 'network', ChangeSetName: 'tags' }),
    );

    // Assess
    expect(changeSet.Status).toBe('CREATE_COMPLETE');
    expect(changeSet.Changes?.[0]?.ResourceChange?.Scope).toEqual(['Tags']);
  });

  it('refuses CREATE on an existing stack and UPDATE on a missing one', async () => {
    // Prepare
    const aws = simulator();
    aws.seedStack({ stackName: 'network', templateBody: TEMPLATE_YAML, parameters: { Env: 'prod' } });

    // Act
    const create = await rejection(
      aws.cloudFormation.send(
        new CreateChangeSetCommand({
          StackName: 'network',
          ChangeSetName: 'again',
          ChangeSetType: 'CREATE',
          TemplateBody: TEMPLATE_YAML,
        }),
      ),
    );
    const update = await rejection(
      aws.cloudFormation.send(
        new CreateChangeSetCommand({ StackName: 'ghost', ChangeSetName: 'u', TemplateBody: TEMPLATE_YAML }),
      ),
    );
    const missingParameter = await rejection(
      aws.cloudFormation.send(
        new CreateChangeSetCommand({
          StackName: 'fresh',
          ChangeSetName: 'c',
          ChangeSetType: 'CREATE',
          TemplateBody: TEMPLATE_YAML,
        }),
      ),
    );

    // Assess
    expect(create.name).toBe('AlreadyExistsException');
    expect(update).toMatchObject({ name: 'ValidationError', message: 'Stack [ghost] does not exist' });
    expect(update.$metadata?.httpStatusCode).toBe(400);
    expect(missingParameter).toMatchObject({ name: 'ValidationError', message: 'Parameters: [Env] must have values' });
  });

  it('rolls an update back when a resource says SimulateFailure, keeping the previous template', async () => {
    // Prepare
    const aws = simulator();
    await createStack(aws, 'network', TEMPLATE_YAML);
    const failing = TEMPLATE_YAML.replace(
      '  Bucket:\n    Type: AWS::S3::Bucket\n',
      '  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      SimulateFailure: true\n',
    );

    // Act
    await aws.cloudFormation.send(
      new CreateChangeSetCommand({
        StackName: 'network',
        ChangeSetName: 'bad',
        TemplateBody: failing,
        Parameters: [{ ParameterKey: 'Env', ParameterValue: 'staging' }],
      }),
    );
    await aws.cloudFormation.send(new DescribeChangeSetCommand({ StackName: 'network', ChangeSetName: 'bad' }));
    await aws.cloudFormation.send(new ExecuteChangeSetCommand({ StackName: 'network', ChangeSetName: 'bad' }));
    aws.advance();
    const stack = await aws.cloudFormation.send(new DescribeStacksCommand({ StackName: 'network' }));
    const template = await aws.cloudFormation.send(new GetTemplateCommand({ StackName: 'network' }));

    // Assess
    expect(stack.Stacks?.[0]?.StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(stack.Stacks?.[0]?.StackStatusReason).toContain('Bucket');
    expect(stack.Stacks?.[0]?.Parameters).toContainEqual({ ParameterKey: 'Env', ParameterValue: 'prod' });
    expect(template.TemplateBody).toBe(TEMPLATE_YAML);
  });

  it('ends a failed create in ROLLBACK_COMPLETE', async () => {
    // Prepare
    const aws = simulator();
    const failing = TEMPLATE_YAML.replace(
      '  Bucket:\n    Type: AWS::S3::Bucket\n',
      '  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      SimulateFailure: true\n',
    );

    // Act
    await createStack(aws, 'network', failing);
    const stack = await aws.cloudFormation.send(new DescribeStacksCommand({ StackName: 'network' }));

    // Assess
    expect(stack.Stacks?.[0]?.StackStatus).toBe('ROLLBACK_COMPLETE');
    expect(stack.Stacks?.[0]?.Outputs).toBeUndefined();
  });
});
