/** The simulator's ECS behind a loopback HTTP endpoint speaking the ECS JSON 1.1 protocol, so a bench process reaches
 * it with a real ECSClient (real serialization, as a function does) and holds none of the simulated account: run as
 * `node sim-server.mjs <services> <latency ms> [<services per family> <clusters>]` it seeds that fleet, listens on 127.0.0.1 and prints `{"url": …}`. */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DeregisterTaskDefinitionCommand,
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListServiceDeploymentsCommand,
  ListServicesCommand,
  ListTagsForResourceCommand,
  RegisterTaskDefinitionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { type AwsSimulator, createAwsSimulator, writeCount } from '../shared/sim/index.ts';
import { loadRepository } from '../shared/spec/repository.ts';
import { provideResourceSpec, resourceSpecFile } from '../shared/spec/resource-spec.ts';
import { type EndpointCalls, fleetFiles, MemoryGitSource, SIMULATOR_CONTROL_PATH, seedFleet } from './support.ts';

/** The JSON 1.1 target prefix of every ECS operation (the service's Smithy shape name and API version). */
const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';

type EcsCommand = new (input: never) => object;

/** The operations the simulator answers (shared/sim/index.ts), by their wire names. */
const ECS_COMMANDS: Record<string, EcsCommand> = {
  CreateService: CreateServiceCommand,
  DeleteService: DeleteServiceCommand,
  DeregisterTaskDefinition: DeregisterTaskDefinitionCommand,
  DescribeServiceDeployments: DescribeServiceDeploymentsCommand,
  DescribeServiceRevisions: DescribeServiceRevisionsCommand,
  DescribeServices: DescribeServicesCommand,
  DescribeTaskDefinition: DescribeTaskDefinitionCommand,
  ListServiceDeployments: ListServiceDeploymentsCommand,
  ListServices: ListServicesCommand,
  ListTagsForResource: ListTagsForResourceCommand,
  RegisterTaskDefinition: RegisterTaskDefinitionCommand,
  TagResource: TagResourceCommand,
  UntagResource: UntagResourceCommand,
  UpdateService: UpdateServiceCommand,
};

export interface SimServer {
  readonly url: string;
  close(): Promise<void>;
}

interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly requestId?: string;
  /** No answer at all: the connection is cut, as when a response is lost on the way. */
  readonly drop?: true;
}

/** ECS writes timestamps as epoch seconds in JSON 1.1 (the SDK parses them back into Dates). */
function wireJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, converted: unknown) {
    const raw = this[key];
    return raw instanceof Date ? raw.getTime() / 1000 : converted;
  });
}

/** An error as ECS answers it: its status, and `__type` naming the exception the SDK then builds. */
function errorReply(error: unknown): Reply {
  const failure = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  // The simulator's timeout faults stand for a request or answer lost in the network: the SDK must see no answer.
  if (failure.name === 'TimeoutError') return { status: 0, body: undefined, drop: true };
  const status = failure.$metadata?.httpStatusCode;
  // An error without a status is the simulator's own failure (an unimplemented path): a 500 the caller sees.
  return {
    status: status ?? 500,
    body: { __type: status ? failure.name : 'InternalFailure', message: failure.message ?? String(error) },
  };
}

/** Serves `simulator.ecs` on 127.0.0.1 (a free port): every call goes through the simulator's own client, so its
 * latency, token buckets and faults apply unchanged. `GET|DELETE <SIMULATOR_CONTROL_PATH>` reads or resets the calls
 * the simulator counted and the throttling errors answered. */
export async function startSimServer(simulator: AwsSimulator): Promise<SimServer> {
  let throttles = 0;
  const send = simulator.ecs.send.bind(simulator.ecs) as (
    command: object,
  ) => Promise<{ $metadata: { requestId?: string } }>;

  const answerEcs = async (target: string, text: string): Promise<Reply> => {
    const operation = target.startsWith(ECS_TARGET_PREFIX) ? target.slice(ECS_TARGET_PREFIX.length) : undefined;
    const Command = operation === undefined ? undefined : ECS_COMMANDS[operation];
    if (!Command) return { status: 400, body: { __type: 'UnknownOperationException', message: target } };
    let input: unknown;
    try {
      input = text === '' ? {} : JSON.parse(text);
    } catch {
      return { status: 400, body: { __type: 'SerializationException', message: 'the body is not JSON' } };
    }
    try {
      const { $metadata, ...output } = await send(new Command(input as never));
      return { status: 200, body: output, ...($metadata.requestId ? { requestId: $metadata.requestId } : {}) };
    } catch (error) {
      if ((error as Error).name === 'ThrottlingException') throttles += 1;
      return errorReply(error);
    }
  };

  const control = (method: string): Reply => {
    if (method === 'DELETE') {
      simulator.resetCalls();
      throttles = 0;
    }
    const counted: EndpointCalls = { calls: { ...simulator.calls }, throttles, writes: writeCount(simulator.calls) };
    return { status: 200, body: counted };
  };

  const respond = (response: ServerResponse, reply: Reply) => {
    if (reply.drop) {
      response.socket?.destroy();
      return;
    }
    const body = wireJson(reply.body);
    response.writeHead(reply.status, {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(body),
      ...(reply.requestId ? { 'x-amzn-requestid': reply.requestId } : {}),
    });
    response.end(body);
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const target = request.headers['x-amz-target'];
      const reply =
        request.url === SIMULATOR_CONTROL_PATH
          ? Promise.resolve(control(request.method ?? 'GET'))
          : typeof target === 'string'
            ? answerEcs(target, text)
            : // Only ECS is served: the bench's fleet declares no stack, and a call to any other API must show.
              Promise.resolve({ status: 400, body: { __type: 'UnknownOperationException', message: 'not ECS' } });
      void reply.then((answer) => respond(response, answer));
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The bench's fleet of `count` services seeded in a simulator enforcing the published ECS rate limits. */
async function serveFleet(count: number, latencyMs: number, servicesPerFamily = 5, clusters = 1): Promise<void> {
  provideResourceSpec(() => readFileSync(resourceSpecFile()));
  const simulator = createAwsSimulator({ latencyMs, enforceRateLimits: true, seed: count });
  const snapshot = await loadRepository(new MemoryGitSource(fleetFiles(count, servicesPerFamily, clusters), 0), {
    ref: 'main',
  });
  seedFleet(simulator, snapshot, 'bench');
  const server = await startSimServer(simulator);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  // The parent holds stdin open: when it goes (even killed), the server goes too.
  process.stdin.on('end', stop).resume();
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
}

const entry = process.argv[1];
if (entry && /sim-server\.(?:ts|mjs)$/.test(entry) && import.meta.url === pathToFileURL(entry).href) {
  const [count, latency = '30', perFamily = '5', clusters = '1'] = process.argv.slice(2);
  await serveFleet(Number(count), Number(latency), Number(perFamily), Number(clusters));
}
