/** The simulated CloudFormation stacks: masked parameters, describe, delete and paging. */
import {
  CreateChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  ListStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import { rejection, simulator, TEMPLATE_YAML } from './support.ts';

describe('CloudFormation stacks', () => {
  it('masks NoEcho parameters in DescribeStacks and DescribeChangeSet', async () => {
    // Prepare
    const aws = simulator();
    aws.seedStack({ stackName: 'network', templateBody: TEMPLATE_YAML, parameters: { Env: 'prod', Secret: 's3cr3t' } });

    // Act
    const described = await aws.cloudFormation.send(new DescribeStacksCommand({ StackName: 'network' }));
    await aws.cloudFormation.send(
      new CreateChangeSetCommand({
        StackName: 'network',
        ChangeSetName: 'rotate',
        TemplateBody: TEMPLATE_YAML,
        Parameters: [
          { ParameterKey: 'Env', UsePreviousValue: true },
          { ParameterKey: 'Secret', ParameterValue: 'n3w' },
        ],
      }),
    );
    const changeSet = await aws.cloudFormation.send(
      new DescribeChangeSetCommand({ StackName: 'network', ChangeSetName: 'rotate' }),
    );

    // Assess
    expect(described.Stacks?.[0]?.Parameters).toContainEqual({ ParameterKey: 'Secret', ParameterValue: '****' });
    expect(changeSet.Parameters).toContainEqual({ ParameterKey: 'Secret', ParameterValue: '****' });
    expect(changeSet.Status).toBe('CREATE_COMPLETE');
    expect(aws.stacks()[0]?.parameters.Secret).toBe('s3cr3t');
  });

  it('answers ValidationError for a missing stack and deletes through DELETE_IN_PROGRESS', async () => {
    // Prepare
    const aws = simulator();
    const seeded = aws.seedStack({ stackName: 'network', templateBody: TEMPLATE_YAML, parameters: { Env: 'prod' } });

    // Act
    const missing = await rejection(aws.cloudFormation.send(new DescribeStacksCommand({ StackName: 'ghost' })));
    await aws.cloudFormation.send(new DeleteStackCommand({ StackName: 'network' }));
    const deleting = await aws.cloudFormation.send(new DescribeStacksCommand({ StackName: 'network' }));
    aws.advance();
    const byName = await rejection(aws.cloudFormation.send(new DescribeStacksCommand({ StackName: 'network' })));
    const byId = await aws.cloudFormation.send(new DescribeStacksCommand({ StackName: seeded.stackId }));

    // Assess
    expect(missing).toMatchObject({ name: 'ValidationError', message: 'Stack with id ghost does not exist' });
    expect(deleting.Stacks?.[0]?.StackStatus).toBe('DELETE_IN_PROGRESS');
    expect(byName.name).toBe('ValidationError');
    expect(byId.Stacks?.[0]?.StackStatus).toBe('DELETE_COMPLETE');
  });

  it('pages DescribeStacks of all stacks by 100', async () => {
    // Prepare
    const aws = simulator();
    for (let index = 0; index < 150; index++) {
      aws.seedStack({ stackName: `stack-${index}`, templateBody: TEMPLATE_YAML, parameters: { Env: 'prod' } });
    }

    // Act
    const first = await aws.cloudFormation.send(new DescribeStacksCommand({}));
    const second = await aws.cloudFormation.send(new DescribeStacksCommand({ NextToken: first.NextToken }));

    // Assess
    expect(first.Stacks).toHaveLength(100);
    expect(second.Stacks).toHaveLength(50);
    expect(second.NextToken).toBeUndefined();
  });

  it('lists stack summaries by 100, the deleted ones only when StackStatusFilter lets them through', async () => {
    // Prepare
    const aws = simulator();
    for (let index = 0; index < 120; index++) {
      aws.seedStack({ stackName: `stack-${index}`, templateBody: TEMPLATE_YAML, parameters: { Env: 'prod' } });
    }
    await aws.cloudFormation.send(new DeleteStackCommand({ StackName: 'stack-0' }));
    aws.advance();

    // Act
    const first = await aws.cloudFormation.send(new ListStacksCommand({}));
    const second = await aws.cloudFormation.send(new ListStacksCommand({ NextToken: first.NextToken }));
    const live = await aws.cloudFormation.send(new ListStacksCommand({ StackStatusFilter: ['CREATE_COMPLETE'] }));
    const liveRest = await aws.cloudFormation.send(
      new ListStacksCommand({ StackStatusFilter: ['CREATE_COMPLETE'], NextToken: live.NextToken }),
    );

    // Assess
    expect(first.StackSummaries).toHaveLength(100);
    expect(second.StackSummaries).toHaveLength(20);
    expect(first.StackSummaries?.[0]).toMatchObject({ StackName: 'stack-0', StackStatus: 'DELETE_COMPLETE' });
    expect(first.StackSummaries?.[0]?.DeletionTime).toBeInstanceOf(Date);
    const liveNames = [...(live.StackSummaries ?? []), ...(liveRest.StackSummaries ?? [])].map(
      (stack) => stack.StackName,
    );
    expect(liveNames).toHaveLength(119);
    expect(liveNames).not.toContain('stack-0');
  });
});
