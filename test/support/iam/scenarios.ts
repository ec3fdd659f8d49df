/** The end-to-end function scenarios the IAM proof records, each run through the real handler as the function's own
 * role, on the function tests' support (test/functions/support.ts: the simulator, DynamoDB Local, a real git
 * repository) with the environment the synthesized stack gives the function, and CodeCommit as production reads it:
 * the configuration through CodeCommitGitSource, pull requests through CodeCommitProposer. */
import { randomUUID } from 'node:crypto';
import { CodeCommitClient } from '@aws-sdk/client-codecommit';
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import type { FunctionDependencies } from '../../../functions/dependencies.ts';
import { createDeploymentOutcomeHandler, type DeploymentOutcomeEvent } from '../../../functions/deployment-outcome.ts';
import type {
  CloudTrailApiCallEvent,
  PullRequestStateChangeEvent,
  RepositoryStateChangeEvent,
  ScheduledEvent,
} from '../../../functions/events.ts';
import { createManualChangeHandler } from '../../../functions/manual-change.ts';
import { createPullRequestHandler } from '../../../functions/pull-request.ts';
import { createPushHandler } from '../../../functions/push.ts';
import { createSweepHandler } from '../../../functions/sweep.ts';
import { createSweepShardHandler, type SQSRecord } from '../../../functions/sweep-shard.ts';
import type { FunctionName } from '../../../infra/bundling.ts';
import { CloudFormationLiveReader } from '../../../shared/live/cloudformation.ts';
import { EcsLiveReader } from '../../../shared/live/ecs.ts';
import { DynamoDbTaskDefinitionStore } from '../../../shared/live/task-definition-store.ts';
import { CodeCommitGitSource } from '../../../shared/source/codecommit.ts';
import { CodeCommitProposer } from '../../../shared/writeback/codecommit-proposer.ts';
import {
  createHarness,
  eventFixture,
  type Harness,
  ProposalStore,
  REGION,
  REPOSITORY,
} from '../../functions/support.ts';
import { localDynamoDb } from '../dynamodb.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../fixtures.ts';
import { serveRepository } from './codecommit-repository.ts';
import type { Installation } from './deployment.ts';
import type { CallRecorder } from './recorder.ts';

const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const SCHEDULED = eventFixture<ScheduledEvent>('scheduled-event');

/** One installation's functions around one fresh world. */
export class Scene {
  private readonly mocks: { restore(): void }[] = [];
  /** Bodies of the shard messages the sweep sent, as the SQS event source delivers them. */
  readonly shardRecords: SQSRecord[] = [];
  private constructor(
    readonly installation: Installation,
    readonly recorder: CallRecorder,
    readonly harness: Harness,
    private readonly source: CodeCommitGitSource,
    readonly proposals: ProposalStore,
    private readonly sqs: SQSClient,
  ) {}

  static async open(installation: Installation, recorder: CallRecorder, aliases: Map<string, string>): Promise<Scene> {
    const harness = await createHarness();
    aliases.set(harness.deps.environment.ledgerTable, installation.ledgerTable);
    aliases.set(harness.deps.environment.lockTable, installation.lockTable);
    const reads = new CodeCommitClient({ region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
    const repository = serveRepository(reads, harness.repo.dir);
    const proposals = new ProposalStore(
      new CodeCommitClient({ region: REGION, credentials: CREDENTIALS, maxAttempts: 1 }),
    );
    const sqs = new SQSClient({ region: REGION, credentials: CREDENTIALS });
    const scene = new Scene(
      installation,
      recorder,
      harness,
      new CodeCommitGitSource({ repositoryName: REPOSITORY, client: reads }),
      proposals,
      sqs,
    );
    const queue = mockClient(sqs);
    queue.on(SendMessageBatchCommand).callsFake((input: { Entries?: SendMessageBatchRequestEntry[] }) => {
      const entries = input.Entries ?? [];
      scene.shardRecords.push(
        ...entries.map((entry) => ({
          messageId: randomUUID(),
          receiptHandle: randomUUID(),
          body: entry.MessageBody ?? '',
          attributes: { ApproximateReceiveCount: '1' },
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:shards',
          awsRegion: REGION,
        })),
      );
      return {
        Successful: entries.map((entry) => ({ Id: entry.Id, MessageId: randomUUID(), MD5OfMessageBody: 'md5' })),
        Failed: [],
      };
    });
    scene.mocks.push(repository, proposals.mock, queue);
    return scene;
  }

  /** What `name` is given as deployed: its environment (on this world's tables), CodeCommit, the proposer. */
  deps(name: FunctionName, overrides: Partial<FunctionDependencies> = {}): FunctionDependencies {
    const tables = this.harness.deps.environment;
    const environment = {
      ...this.installation.environment(name),
      ledgerTable: tables.ledgerTable,
      lockTable: tables.lockTable,
    };
    return {
      ...this.harness.deps,
      environment,
      source: this.source,
      proposer: new CodeCommitProposer({ repositoryName: REPOSITORY, client: this.proposals.client }),
      ...(environment.shardQueueUrl ? { sqs: this.sqs } : {}),
      // As sweepDependencies builds them: the sweep's readers keep task definitions in the lock table.
      ...(name === 'sweep' || name === 'sweep-shard'
        ? {
            readers: {
              ecs: new EcsLiveReader({
                client: this.harness.deps.ecs,
                store: new DynamoDbTaskDefinitionStore({ tableName: tables.lockTable, client: localDynamoDb() }),
              }),
              cloudFormation: new CloudFormationLiveReader({ client: this.harness.deps.cloudFormation }),
            },
          }
        : {}),
      ...overrides,
    };
  }

  /** Runs `work` as function `name`: every call it makes is that role's. */
  as<T>(name: FunctionName, work: () => Promise<T>): Promise<T> {
    return this.recorder.as(name, work);
  }

  /** The scheduled sweep, as deployed; when it fans out, the sweep-shard worker then takes each shard message it
   * sent, one invocation per message. The simulator settles after each. */
  async sweep(overrides: Partial<FunctionDependencies> = {}) {
    const result = await this.as('sweep', () => createSweepHandler(this.deps('sweep', overrides))(SCHEDULED));
    this.harness.simulator.advance();
    for (const record of this.shardRecords.splice(0)) {
      await this.as('sweep-shard', () => createSweepShardHandler(this.deps('sweep-shard'))({ Records: [record] }));
      this.harness.simulator.advance();
    }
    return result;
  }

  async push(commitId: string, oldCommitId: string) {
    const event = eventFixture<RepositoryStateChangeEvent>('codecommit-reference-updated', { commitId, oldCommitId });
    const result = await this.as('push', () => createPushHandler(this.deps('push'))(event));
    this.harness.simulator.advance();
    return result;
  }

  async head(): Promise<string> {
    return this.source.resolveRef('main');
  }

  async cleanup(): Promise<void> {
    for (const mock of this.mocks) mock.restore();
    await this.harness.cleanup();
  }
}

const example = async (path: string) => (await readTree(EXAMPLE_REPO_DIR))[path]!.toString();

/** A scenario: what one or more functions do, end to end, as their roles. */
export interface Scenario {
  readonly name: string;
  run(scene: Scene): Promise<void>;
}

/** The first sweep creates everything; a push rolls out an image; a console change is reverted by the next sweep. */
const pushAndRevert: Scenario = {
  name: 'sweep creates, push rolls out, sweep reverts drift',
  async run(scene) {
    await scene.sweep();
    const base = await scene.head();
    const pushed = await scene.harness.bumpImage('1.4.3');
    await scene.push(pushed, base);
    scene.harness.simulator.driftService('prod', 'web', (service) => {
      service.desiredCount = 1;
    });
    await scene.sweep();
  },
};

/** A stack's template changes: a change set is created, computed and executed with the stack's own role. */
const stackUpdate: Scenario = {
  name: 'push updates a stack through a change set with its spec.roleArn',
  async run(scene) {
    await scene.sweep();
    const base = await scene.head();
    const template = await example('stacks/network.template.yaml');
    const pushed = await scene.harness.repo.commit(
      { 'stacks/network.template.yaml': `${template}  VpcIdOut:\n    Value: !Ref Vpc\n` },
      'network: output the VPC id',
    );
    await scene.push(pushed, base);
  },
};

/** drift: adopt turns a console change into a pull request on a driftless/* branch. */
const adoptDrift: Scenario = {
  name: 'sweep adopts drift as a pull request',
  async run(scene) {
    const web = await example('services/web.yaml');
    await scene.harness.repo.commit(
      { 'services/web.yaml': web.replace('  wave: 1\n', '  wave: 1\n  drift: adopt\n') },
      'web: adopt',
    );
    await scene.sweep();
    scene.harness.simulator.driftService('prod', 'web', (service) => {
      service.deploymentConfiguration = { ...service.deploymentConfiguration, maximumPercent: 150 };
    });
    await scene.sweep();
    if (scene.proposals.pullRequests.length !== 1) throw new Error('the adopt scenario opened no pull request');
  },
};

/** A pull request gets the plan as a comment; a second revision updates it. */
const pullRequestPlan: Scenario = {
  name: 'pull request planned and commented',
  async run(scene) {
    await scene.sweep();
    const destination = await scene.head();
    const repo = scene.harness.repo;
    await repo.branch('web-1.4.3');
    await repo.checkout('web-1.4.3');
    const web = await example('services/web.yaml');
    const first = await repo.commit({ 'services/web.yaml': web.replace('web:1.4.2', 'web:1.4.3') }, 'web 1.4.3');
    const second = await repo.commit({ 'services/web.yaml': web.replace('web:1.4.2', 'web:1.4.4') }, 'web 1.4.4');
    await repo.checkout('main');
    const handler = createPullRequestHandler(scene.deps('pull-request'));
    for (const [fixture, sourceCommit] of [
      ['codecommit-pull-request-created', first],
      ['codecommit-pull-request-source-branch-updated', second],
    ] as const) {
      const event = eventFixture<PullRequestStateChangeEvent>(fixture, {
        sourceCommit,
        destinationCommit: destination,
      });
      await scene.as('pull-request', () => handler(event));
    }
  },
};

/** The circuit breaker rolls a push back: the outcome is recorded and the rollback written back to Git. */
const rollbackWriteBack: Scenario = {
  name: 'deployment outcome records a rollback and proposes it',
  async run(scene) {
    await scene.sweep();
    const base = await scene.head();
    const bad = await scene.harness.bumpImage('1.4.3');
    scene.harness.simulator.failNextRollout('prod', 'web');
    await scene.push(bad, base);
    scene.harness.simulator.advance();
    const update = (await scene.harness.ledger.resourceHistory('EcsService:prod/web')).find(
      (entry) => entry.commitId === bad && entry.kind === 'outcome' && entry.action === 'UpdateService',
    );
    const deploymentId = update?.references?.deploymentId ?? '';
    const event = eventFixture<DeploymentOutcomeEvent>('ecs-deployment-failed', { deploymentId });
    await scene.as('deployment-outcome', () => createDeploymentOutcomeHandler(scene.deps('deployment-outcome'))(event));
    if (scene.proposals.pullRequests.length !== 1) throw new Error('the rollback scenario opened no pull request');
  },
};

/** Someone scales web by hand; CloudTrail reports the call and just web is reverted. */
const manualChange: Scenario = {
  name: 'manual change reverted',
  async run(scene) {
    await scene.sweep();
    scene.harness.simulator.driftService('prod', 'web', (service) => {
      service.desiredCount = 1;
    });
    const event = eventFixture<CloudTrailApiCallEvent>('cloudtrail-ecs-update-service');
    const deps = scene.deps('manual-change', { now: () => Date.parse('2024-05-01T12:01:00Z') });
    await scene.as('manual-change', () => createManualChangeHandler(deps)(event));
  },
};

/** With pruning on, a service and a stack no longer declared are deleted. */
const prune: Scenario = {
  name: 'sweep prunes what Git no longer declares',
  async run(scene) {
    await scene.sweep();
    const settings = await example('driftless.yaml');
    await scene.harness.repo.commit(
      {
        'driftless.yaml': settings
          .replace('prune: false', 'prune: true')
          .replace('maxPruneFraction: 0.2', 'maxPruneFraction: 1'),
        'services/worker.yaml': null,
        'stacks/network.yaml': null,
        'stacks/network.template.yaml': null,
      },
      'remove worker and the network stack',
    );
    await scene.sweep();
    const simulator = scene.harness.simulator;
    const worker = simulator.services().find((service) => service.serviceName === 'worker');
    const network = simulator.stacks().find((stack) => stack.stackName === 'platform-network');
    if (worker?.status === 'ACTIVE' || !network?.status.startsWith('DELETE')) {
      throw new Error('the prune scenario pruned nothing');
    }
  },
};

/** The scenarios of a deployment that does not fan out. */
export const SINGLE_SWEEP_SCENARIOS: readonly Scenario[] = [
  pushAndRevert,
  stackUpdate,
  adoptDrift,
  pullRequestPlan,
  rollbackWriteBack,
  manualChange,
  prune,
];

/** The scenarios of a deployment whose sweep fans out. */
export const FAN_OUT_SCENARIOS: readonly Scenario[] = [pushAndRevert, prune];
