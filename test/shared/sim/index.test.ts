/** The simulator around the services: injected faults, rate limits, latency, drift, copies and call counts. */
import { DescribeStackEventsCommand, DescribeStacksCommand, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import {
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListServicesCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { createAwsSimulator } from '../../../shared/sim/index.ts';
import { ACCOUNT, REGION, rejection, simulator, TEMPLATE_YAML, webService, webTaskDefinition } from './support.ts';

describe('faults, limits and drift', () => {
  it('throttles n times, then succeeds; every attempt is counted', async () => {
    // Prepare
    const aws = simulator();
    aws.seedService({ ...webService(), serviceName: 'web', taskDefinition: webTaskDefinition() });
    aws.injectFault('ECS.DescribeServices', 'throttle', 2);
    const describe = () => aws.ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }));

    // Act
    const first = await rejection(describe());
    const second = await rejection(describe());
    const third = await describe();

    // Assess
    expect(first).toMatchObject({ name: 'ThrottlingException', $fault: 'client' });
    expect(first.$metadata?.httpStatusCode).toBe(400);
    expect(second.name).toBe('ThrottlingException');
    expect(third.services).toHaveLength(1);
    expect(aws.calls['ECS.DescribeServices']).toBe(3);
  });

  it('raises the server errors, timeouts and throttling names of each service', async () => {
    // Prepare
    const aws = simulator();
    aws.injectFault('ECS.*', 'server-error');
    aws.injectFault('CloudFormation.DescribeStacks', 'throttle');
    aws.injectFault('CloudFormation.DescribeStacks', 'server-error');
    aws.injectFault('*', 'timeout');

    // Act
    const ecsServer = await rejection(aws.ecs.send(new ListServicesCommand({ cluster: 'prod' })));
    const cfnThrottle = await rejection(aws.cloudFormation.send(new DescribeStacksCommand({})));
    const cfnServer = await rejection(aws.cloudFormation.send(new DescribeStacksCommand({})));
    const timeout = await rejection(aws.cloudFormation.send(new DescribeStacksCommand({})));
    const fine = await aws.cloudFormation.send(new DescribeStacksCommand({}));

    // Assess
    expect(ecsServer).toMatchObject({ name: 'ServerException', $fault: 'server' });
    expect(ecsServer.$metadata?.httpStatusCode).toBe(500);
    expect(cfnThrottle.name).toBe('Throttling');
    expect(cfnThrottle.$metadata?.httpStatusCode).toBe(400);
    expect(cfnServer.name).toBe('InternalFailure');
    expect(cfnServer.$metadata?.httpStatusCode).toBe(500);
    expect(timeout.name).toBe('TimeoutError');
    expect(fine.Stacks).toEqual([]);
  });

  it('applies a call whose response is lost with timeout-after-apply', async () => {
    // Prepare
    const aws = simulator();
    aws.seedTaskDefinition(webTaskDefinition());
    aws.injectFault('ECS.CreateService', 'timeout-after-apply');

    // Act
    const lost = await rejection(aws.ecs.send(new CreateServiceCommand(webService())));
    const retried = await rejection(aws.ecs.send(new CreateServiceCommand(webService())));

    // Assess
    expect(lost.name).toBe('TimeoutError');
    expect(retried.message).toBe('Creation of service was not idempotent.');
    expect(aws.services()).toHaveLength(1);
  });

  it('waits the configured latency per call, plus injected latency, through the injected sleep', async () => {
    // Prepare
    const slept: number[] = [];
    const aws = simulator({ latencyMs: 40, sleep: async (milliseconds) => void slept.push(milliseconds) });
    aws.injectFault('CloudFormation.DescribeStacks', { latencyMs: 500 });

    // Act
    await aws.cloudFormation.send(new DescribeStacksCommand({}));
    await aws.cloudFormation.send(new DescribeStacksCommand({}));

    // Assess
    expect(slept).toEqual([40, 500, 40]);
  });

  it('enforces the DescribeServices burst of 100 on a virtual clock, then refills at 20 per second', async () => {
    // Prepare
    let clock = 0;
    const aws = createAwsSimulator({ enforceRateLimits: true, now: () => clock });
    aws.seedService({ ...webService(), serviceName: 'web', taskDefinition: webTaskDefinition() });
    const describe = () => aws.ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }));

    // Act
    const burst = await Promise.allSettled(Array.from({ length: 101 }, describe));
    clock += 100; // two tokens back at 20 per second
    const refilled = await Promise.allSettled([describe(), describe(), describe()]);

    // Assess
    const throttled = burst.filter((result) => result.status === 'rejected');
    expect(throttled).toHaveLength(1);
    expect((throttled[0] as PromiseRejectedResult).reason).toMatchObject({ name: 'ThrottlingException' });
    expect(refilled.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect(aws.calls['ECS.DescribeServices']).toBe(104);
  });

  it('shares one bucket among the service writes and leaves state alone when throttling', async () => {
    // Prepare
    const aws = createAwsSimulator({ enforceRateLimits: true, now: () => 0 });
    aws.seedTaskDefinition(webTaskDefinition());
    for (let index = 0; index < 50; index++) {
      await aws.ecs.send(new CreateServiceCommand(webService({ serviceName: `svc-${index}` })));
    }

    // Act
    const error = await rejection(
      aws.ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'svc-0', desiredCount: 9 })),
    );

    // Assess
    expect(error.name).toBe('ThrottlingException');
    expect(aws.services().find((service) => service.serviceName === 'svc-0')?.desiredCount).toBe(2);
  });

  it('shows a manual change to a service in DescribeServices', async () => {
    // Prepare
    const aws = simulator();
    aws.seedService({ ...webService(), serviceName: 'web', taskDefinition: webTaskDefinition() });

    // Act
    aws.driftService('prod', 'web', (service) => {
      service.desiredCount = 7;
      service.enableExecuteCommand = true;
      service.tags = [{ key: 'owner', value: 'someone' }];
    });
    const described = await aws.ecs.send(
      new DescribeServicesCommand({ cluster: 'prod', services: ['web'], include: ['TAGS'] }),
    );

    // Assess
    expect(described.services?.[0]).toMatchObject({
      desiredCount: 7,
      enableExecuteCommand: true,
      tags: [{ key: 'owner', value: 'someone' }],
    });
  });

  it('shows a manual change to a stack in DescribeStacks and GetTemplate', async () => {
    // Prepare
    const aws = simulator();
    aws.seedStack({
      stackName: 'network',
      templateBody: TEMPLATE_YAML,
      parameters: { Env: 'prod' },
      tags: { team: 'core' },
    });
    const edited = TEMPLATE_YAML.replace('Literal:\n    Value: fixed', 'Literal:\n    Value: edited');

    // Act
    aws.driftStack('network', (stack) => {
      stack.templateBody = edited;
      stack.parameters.Env = 'hotfix';
      stack.tags = { team: 'core', extra: 'yes' };
    });
    const described = await aws.cloudFormation.send(new DescribeStacksCommand({ StackName: 'network' }));
    const template = await aws.cloudFormation.send(new GetTemplateCommand({ StackName: 'network' }));

    // Assess
    expect(described.Stacks?.[0]?.Parameters).toContainEqual({ ParameterKey: 'Env', ParameterValue: 'hotfix' });
    expect(described.Stacks?.[0]?.Tags).toEqual([
      { Key: 'team', Value: 'core' },
      { Key: 'extra', Value: 'yes' },
    ]);
    expect(described.Stacks?.[0]?.Outputs).toContainEqual({ OutputKey: 'Literal', OutputValue: 'edited' });
    expect(template.TemplateBody).toBe(edited);
  });

  it('answers with copies: changing a response or an input changes nothing in the simulator', async () => {
    // Prepare
    const aws = simulator();
    const input = webTaskDefinition();
    await aws.ecs.send(new RegisterTaskDefinitionCommand(input));
    const described = await aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web' }));

    // Act
    (input.containerDefinitions ?? [])[0]!.image = 'changed-input';
    described.taskDefinition!.containerDefinitions![0]!.image = 'changed-output';
    const again = await aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web' }));

    // Assess
    expect(again.taskDefinition?.containerDefinitions?.[0]?.image).toBe(
      `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/web:1`,
    );
  });

  it('counts calls per API and resets the counts', async () => {
    // Prepare
    const aws = simulator();

    // Act
    await aws.cloudFormation.send(new DescribeStacksCommand({}));
    await aws.cloudFormation.send(new DescribeStacksCommand({}));
    await aws.ecs.send(new ListServicesCommand({ cluster: 'prod' }));
    const counted = { ...aws.calls };
    aws.resetCalls();

    // Assess
    expect(counted).toEqual({ 'CloudFormation.DescribeStacks': 2, 'ECS.ListServices': 1 });
    expect(aws.calls).toEqual({});
    expect(aws.stubs.ecs).toHaveReceivedCommandTimes(ListServicesCommand, 1);
  });

  it('fails loudly on a command it does not simulate', async () => {
    // Prepare
    const aws = simulator();

    // Act
    const error = await rejection(aws.cloudFormation.send(new DescribeStackEventsCommand({ StackName: 'network' })));

    // Assess
    expect(error.message).toBe('The AWS simulator does not implement CloudFormation DescribeStackEventsCommand');
  });
});
