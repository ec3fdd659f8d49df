/** What the benchmarks run on: an in-memory configuration repository with CodeCommit-like latency, an in-memory
 * lock, and N services seeded in the simulator exactly as their declarations say. */
import { createHash } from 'node:crypto';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { createServiceInput, registerTaskDefinitionInput } from '../shared/apply/requests.ts';
import { ECS_RATE_LIMITS } from '../shared/aws/token-bucket.ts';
import { RefNotFoundError } from '../shared/errors.ts';
import { CloudFormationLiveReader } from '../shared/live/cloudformation.ts';
import { EcsLiveReader } from '../shared/live/ecs.ts';
import type { ReconcileDependencies, RunLease, RunLock } from '../shared/reconcile/types.ts';
import type { AwsSimulator } from '../shared/sim/index.ts';
import { MemoryLedger } from '../shared/sim/memory-ledger.ts';
import type { CommitInfo, FileChange, FileEntry, GitSource } from '../shared/source/git-source.ts';
import type { EcsServiceDeclaration, RepositorySnapshot } from '../shared/spec/repository.ts';

export const SETTINGS = `apiVersion: driftless/v1
kind: Settings
spec:
  targets: { clusters: [prod, prod-1, prod-2, prod-3], stackNamePrefix: bench-, roleArnPatterns: ['arn:aws:iam::123456789012:role/app/*'], resourceTypes: [AWS::SNS::Topic] }
`;

/** One declaration of a realistic Fargate service; `family` is shared by several services, as in real fleets. */
export function serviceYaml(index: number, family: string, image = '1.0.0', cluster = 'prod'): string {
  return `apiVersion: driftless/v1
kind: EcsService
metadata: { name: svc-${index}, cluster: ${cluster} }
spec:
  desiredCount: 2
  launchType: FARGATE
  networkConfiguration: { awsvpcConfiguration: { subnets: [subnet-0a1b2c3d4e5f60718, subnet-0b2c3d4e5f6071829], securityGroups: [sg-0c3d4e5f607182930] } }
  deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } }
  taskDefinition:
    family: ${family}
    cpu: "256"
    memory: "512"
    networkMode: awsvpc
    requiresCompatibilities: [FARGATE]
    executionRoleArn: arn:aws:iam::123456789012:role/app/${family}-execution
    containerDefinitions:
      - name: app
        image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/${family}:${image}
        portMappings: [{ containerPort: 8080 }]
        environment: [{ name: LOG_LEVEL, value: info }]
        logConfiguration: { logDriver: awslogs, options: { awslogs-group: /ecs/${family}, awslogs-region: us-east-1, awslogs-stream-prefix: app } }
`;
}

/** A repository of N service declarations over ceil(N / servicesPerFamily) task definition families. */
export function fleetFiles(count: number, servicesPerFamily = 5, clusters = 1): Map<string, string> {
  const files = new Map<string, string>([['driftless.yaml', SETTINGS]]);
  for (let index = 0; index < count; index++) {
    const cluster = clusters === 1 ? 'prod' : index % clusters === 0 ? 'prod' : `prod-${index % clusters}`;
    files.set(
      `services/svc-${index}.yaml`,
      serviceYaml(index, `family-${Math.floor(index / servicesPerFamily)}`, '1.0.0', cluster),
    );
  }
  return files;
}

function blobId(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** A GitSource over in-memory commits, each call waiting `latencyMs` as a CodeCommit call would. */
export class MemoryGitSource implements GitSource {
  readonly description = 'in-memory repository';
  private readonly commits: { id: string; files: Map<string, string> }[] = [];
  calls = 0;

  constructor(
    files: Map<string, string>,
    private readonly latencyMs: number,
  ) {
    this.commit(files);
  }

  commit(files: Map<string, string>): string {
    const id = createHash('sha1').update(`${this.commits.length}`).digest('hex');
    this.commits.push({ id, files: new Map(files) });
    return id;
  }

  head(): { id: string; files: Map<string, string> } {
    return this.commits.at(-1)!;
  }

  private async wait(): Promise<void> {
    this.calls += 1;
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
  }

  private at(commitId: string) {
    const found = this.commits.find((commit) => commit.id === commitId);
    if (!found) throw new RefNotFoundError(commitId);
    return found;
  }

  async resolveRef(ref: string): Promise<string> {
    await this.wait();
    return ref === 'main' || ref === 'HEAD' ? this.head().id : this.at(ref).id;
  }

  /** Like GetFolder: one call per folder level, folders of a level in parallel. */
  async listFiles(commitId: string, prefix: string): Promise<FileEntry[]> {
    const files = this.at(commitId).files;
    const depth = Math.max(...[...files.keys()].map((path) => path.split('/').length));
    for (let level = 0; level < depth; level++) await this.wait();
    return [...files.entries()]
      .filter(([path]) => prefix === '' || path.startsWith(`${prefix}/`))
      .map(([path, text]) => ({ path, blobId: blobId(text), type: 'file' as const, sizeBytes: text.length }));
  }

  async readFile(commitId: string, path: string): Promise<Uint8Array> {
    await this.wait();
    return new TextEncoder().encode(this.at(commitId).files.get(path) ?? '');
  }

  async changedFiles(fromCommitId: string, toCommitId: string): Promise<FileChange[]> {
    await this.wait();
    const before = this.at(fromCommitId).files;
    const after = this.at(toCommitId).files;
    const changes: FileChange[] = [];
    for (const [path, text] of after) {
      if (!before.has(path)) changes.push({ kind: 'added', path });
      else if (before.get(path) !== text) changes.push({ kind: 'modified', path });
    }
    for (const path of before.keys()) if (!after.has(path)) changes.push({ kind: 'deleted', path });
    return changes;
  }

  async commitInfo(commitId: string): Promise<CommitInfo> {
    await this.wait();
    const person = { name: 'Bench', email: 'bench@example.com', date: new Date(0).toISOString() };
    return { commitId, parents: [], author: person, committer: person, message: 'bench' };
  }
}

/** A lock held in memory: the benchmarks measure the reconciler, not DynamoDB. */
export class MemoryLock implements RunLock {
  private readonly held = new Set<string>();

  async acquire(key: { repository: string; branch: string }): Promise<RunLease | undefined> {
    const name = `${key.repository}#${key.branch}`;
    if (this.held.has(name)) return undefined;
    this.held.add(name);
    return {
      assertHeld: async () => undefined,
      release: async () => {
        this.held.delete(name);
      },
      startAutoRenew: () => () => undefined,
    };
  }
}

/** Seeds every service of the snapshot as driftless would have created it (provenance tags included), without API
 * calls: the bench measures sweeps, not the seeding. */
export function seedFleet(simulator: AwsSimulator, snapshot: RepositorySnapshot, installationId: string): void {
  const registered = new Map<string, string>();
  for (const declaration of snapshot.declarations) {
    if (declaration.kind !== 'EcsService') continue;
    const service = declaration as EcsServiceDeclaration;
    const family = service.document.spec.taskDefinition.family;
    let arn = registered.get(family);
    if (!arn) {
      const seeded = simulator.seedTaskDefinition(registerTaskDefinitionInput(service) as never);
      arn = seeded.taskDefinition.taskDefinitionArn!;
      registered.set(family, arn);
    }
    const provenance = { installationId, source: service.location.file, commitId: snapshot.commitId };
    simulator.seedService(createServiceInput(service, arn, provenance) as never);
  }
}

/** What a warm reconciler process keeps across runs, over the simulator: readers with their caches, a blob cache,
 * and an in-memory ledger and lock. */
export function fleetDependencies(
  simulator: AwsSimulator,
  source: GitSource,
  blobCache = new Map<string, string>(),
): ReconcileDependencies {
  return clientDependencies(simulator, source, blobCache);
}

/** The same over any pair of clients: the simulator's, or real ones pointed at bench/sim-server.ts. */
export function clientDependencies(
  clients: { readonly ecs: ECSClient; readonly cloudFormation: CloudFormationClient },
  source: GitSource,
  blobCache = new Map<string, string>(),
): ReconcileDependencies {
  return {
    source,
    ecs: clients.ecs,
    cloudFormation: clients.cloudFormation,
    ledger: new MemoryLedger(),
    lock: new MemoryLock(),
    readers: {
      ecs: new EcsLiveReader({ client: clients.ecs }),
      cloudFormation: new CloudFormationLiveReader({ client: clients.cloudFormation }),
    },
    blobCache,
  };
}

/** Where bench/sim-server.ts answers for its simulator's counts: GET reads them, DELETE resets them. */
export const SIMULATOR_CONTROL_PATH = '/_simulator/calls';

/** What the simulator behind bench/sim-server.ts counted: calls per API (failed ones included), and the throttling
 * errors it answered (each retried by the SDK, or failed after its last attempt). */
export interface EndpointCalls {
  readonly calls: Record<string, number>;
  readonly throttles: number;
  /** Calls that change state, of every API. */
  readonly writes: number;
}

/** Reads (and with `reset`, zeroes) the counts of the simulator behind bench/sim-server.ts at `url`. */
export async function endpointCalls(url: string, reset = false): Promise<EndpointCalls> {
  const response = await fetch(`${url}${SIMULATOR_CONTROL_PATH}`, { method: reset ? 'DELETE' : 'GET' });
  if (!response.ok) throw new Error(`the simulator endpoint answered ${response.status}`);
  return (await response.json()) as EndpointCalls;
}

/** Distinct task definition families: the cold DescribeTaskDefinition floor. */
export function familiesOf(snapshot: RepositorySnapshot): number {
  return new Set(
    snapshot.declarations.flatMap((d) => (d.kind === 'EcsService' ? [d.document.spec.taskDefinition.family] : [])),
  ).size;
}

/** Both read buckets refill fully in this long, as between sweeps minutes apart: a measured sweep waits this long
 * first, so it starts with the account's buckets full. */
export const BUCKET_REFILL_MS =
  Math.max(
    ECS_RATE_LIMITS.describeServices.capacity / ECS_RATE_LIMITS.describeServices.refillPerSecond,
    ECS_RATE_LIMITS.describeTaskDefinition.capacity / ECS_RATE_LIMITS.describeTaskDefinition.refillPerSecond,
  ) *
    1000 +
  500;
