/** bench/sim-server.ts answers a real ECSClient over loopback HTTP exactly as the simulator's in-memory client answers
 * (timestamps included), maps the simulator's errors to the SDK's, counts calls for the bench, and stops. */
import {
  DescribeServicesCommand,
  type DescribeServicesCommandInput,
  DescribeTaskDefinitionCommand,
  type DescribeTaskDefinitionCommandInput,
  type ECSClient,
  ListClustersCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { type SimServer, startSimServer } from '../../bench/sim-server.ts';
import { endpointCalls, fleetFiles, MemoryGitSource, seedFleet } from '../../bench/support.ts';
import { ecsClient } from '../../shared/aws/clients.ts';
import { type AwsSimulator, createAwsSimulator } from '../../shared/sim/index.ts';
import { loadRepository } from '../../shared/spec/repository.ts';

/** A fixed clock with milliseconds, so timestamps must survive the epoch-seconds encoding to the millisecond. */
const NOW = 1_764_000_000_123;

/** A simulator of three services over one family, built the same way each time (same seed, same clock). */
async function seededSimulator(): Promise<AwsSimulator> {
  const simulator = createAwsSimulator({ seed: 3, now: () => NOW });
  const snapshot = await loadRepository(new MemoryGitSource(fleetFiles(3), 0), { ref: 'main' });
  seedFleet(simulator, snapshot, 'bench');
  return simulator;
}

function clientOf(server: SimServer, maxAttempts = 1): ECSClient {
  return ecsClient({
    endpoint: server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTESTSIMULATED', secretAccessKey: 'simulated' },
    maxAttempts,
  });
}

function withoutMetadata<T extends { $metadata: unknown }>(output: T): Omit<T, '$metadata'> {
  const { $metadata: _metadata, ...rest } = output;
  return rest;
}

const started: SimServer[] = [];
afterEach(async () => {
  for (const server of started.splice(0)) await server.close();
});

async function serve(simulator: AwsSimulator): Promise<SimServer> {
  const server = await startSimServer(simulator);
  started.push(server);
  return server;
}

describe('the simulator behind a loopback ECS endpoint', () => {
  it('answers DescribeServices and DescribeTaskDefinition as the in-memory client does, dates included', async () => {
    // Prepare
    const simulator = await seededSimulator();
    const server = await serve(simulator);
    const remote = clientOf(server);
    const describeServices: DescribeServicesCommandInput = {
      cluster: 'prod',
      services: ['svc-0', 'svc-2', 'svc-missing'],
      include: ['TAGS'],
    };
    const describeTaskDefinition: DescribeTaskDefinitionCommandInput = {
      taskDefinition: 'family-0',
      include: ['TAGS'],
    };

    // Act
    const servicesOverHttp = await remote.send(new DescribeServicesCommand(describeServices));
    const servicesInMemory = await simulator.ecs.send(new DescribeServicesCommand(describeServices));
    const taskDefinitionOverHttp = await remote.send(new DescribeTaskDefinitionCommand(describeTaskDefinition));
    const taskDefinitionInMemory = await simulator.ecs.send(new DescribeTaskDefinitionCommand(describeTaskDefinition));

    // Assess
    expect(servicesOverHttp.services).toHaveLength(2);
    expect(servicesOverHttp.failures?.[0]?.reason).toBe('MISSING');
    expect(servicesOverHttp.services?.[0]?.createdAt).toEqual(new Date(NOW));
    expect(withoutMetadata(servicesOverHttp)).toEqual(withoutMetadata(servicesInMemory));
    expect(taskDefinitionOverHttp.taskDefinition?.family).toBe('family-0');
    expect(withoutMetadata(taskDefinitionOverHttp)).toEqual(withoutMetadata(taskDefinitionInMemory));
    expect(servicesOverHttp.$metadata.httpStatusCode).toBe(200);
  });

  it('applies UpdateService as the in-memory client does, on a simulator built the same way', async () => {
    // Prepare
    const overHttp = await seededSimulator();
    const inMemory = await seededSimulator();
    const server = await serve(overHttp);
    const update = { cluster: 'prod', service: 'svc-1', desiredCount: 4 };

    // Act
    const answerOverHttp = await clientOf(server).send(new UpdateServiceCommand(update));
    const answerInMemory = await inMemory.ecs.send(new UpdateServiceCommand(update));

    // Assess
    expect(answerOverHttp.service?.desiredCount).toBe(4);
    expect(withoutMetadata(answerOverHttp)).toEqual(withoutMetadata(answerInMemory));
    expect(overHttp.services().find((service) => service.serviceName === 'svc-1')?.desiredCount).toBe(4);
  });

  it('answers a throttled call so the SDK names it ThrottlingException, retries it, and counts it', async () => {
    // Prepare
    const simulator = await seededSimulator();
    const server = await serve(simulator);
    const describe = new DescribeServicesCommand({ cluster: 'prod', services: ['svc-0'] });
    simulator.injectFault('ECS.DescribeServices', 'throttle', 2);

    // Act
    const failed = await clientOf(server, 1)
      .send(describe)
      .catch((error: unknown) => error as Error & { $metadata: { httpStatusCode?: number }; $fault: string });
    const retried = await clientOf(server, 3).send(describe);
    const counted = await endpointCalls(server.url);

    // Assess
    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).name).toBe('ThrottlingException');
    expect((failed as { $metadata: { httpStatusCode?: number } }).$metadata.httpStatusCode).toBe(400);
    expect((failed as { $fault: string }).$fault).toBe('client');
    expect(retried.services?.[0]?.serviceName).toBe('svc-0');
    expect(retried.$metadata.attempts).toBe(2);
    expect(counted).toEqual({ calls: { 'ECS.DescribeServices': 3 }, throttles: 2, writes: 0 });
  });

  it('counts writes, resets the counts on request, and refuses an operation it does not serve', async () => {
    // Prepare
    const simulator = await seededSimulator();
    const server = await serve(simulator);
    const client = clientOf(server);

    // Act
    await client.send(new UpdateServiceCommand({ cluster: 'prod', service: 'svc-0', desiredCount: 3 }));
    const afterUpdate = await endpointCalls(server.url);
    const reset = await endpointCalls(server.url, true);
    const unserved = await client.send(new ListClustersCommand({})).catch((error: unknown) => error as Error);

    // Assess
    expect(afterUpdate).toEqual({ calls: { 'ECS.UpdateService': 1 }, throttles: 0, writes: 1 });
    expect(reset).toEqual({ calls: {}, throttles: 0, writes: 0 });
    expect((unserved as Error).name).toBe('UnknownOperationException');
    expect(simulator.calls).toEqual({});
  });

  it('cuts the connection for a simulated timeout, so the SDK sees no answer rather than an error reply', async () => {
    // Prepare
    const simulator = await seededSimulator();
    const server = await serve(simulator);
    simulator.injectFault('ECS.UpdateService', 'timeout-after-apply');

    // Act
    const lost = await clientOf(server)
      .send(new UpdateServiceCommand({ cluster: 'prod', service: 'svc-2', desiredCount: 5 }))
      .catch((error: unknown) => error as Error & { code?: string; $metadata?: { httpStatusCode?: number } });

    // Assess
    expect(lost).toBeInstanceOf(Error);
    expect((lost as { code?: string }).code).toBe('ECONNRESET');
    expect((lost as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBeUndefined();
    // The update took effect before its answer was lost.
    expect(simulator.services().find((service) => service.serviceName === 'svc-2')?.desiredCount).toBe(5);
  });

  it('stops: close resolves with a connection open, and the port then refuses calls', async () => {
    // Prepare
    const simulator = await seededSimulator();
    const server = await startSimServer(simulator);
    const client = clientOf(server);
    await client.send(new DescribeServicesCommand({ cluster: 'prod', services: ['svc-0'] }));

    // Act
    await server.close();
    // A new client: the first one's kept-alive socket was cut (ECONNRESET), a new connection must be refused.
    const afterClose = await clientOf(server)
      .send(new DescribeServicesCommand({ cluster: 'prod', services: ['svc-0'] }))
      .catch((error: unknown) => error as Error & { code?: string });

    // Assess
    expect(afterClose).toBeInstanceOf(Error);
    expect((afterClose as { code?: string }).code).toBe('ECONNREFUSED');
    expect(simulator.calls).toEqual({ 'ECS.DescribeServices': 1 });
  });
});
