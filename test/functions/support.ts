/** What the function tests share: the real handler factories wired to the simulator (ECS, CloudFormation), DynamoDB
 * Local (ledger and lock, fresh tables per test), a real git repository read through LocalGitSource, and
 * aws-sdk-client-mock for CodeCommit pull-request comments and EventBridge PutEvents. */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  BranchDoesNotExistException,
  BranchNameExistsException,
  type CodeCommitClient,
  CodeCommitClient as CodeCommitClientClass,
  type Comment,
  CommentDoesNotExistException,
  CreateBranchCommand,
  CreateCommitCommand,
  type CreateCommitInput,
  CreatePullRequestCommand,
  type CreatePullRequestInput,
  GetBranchCommand,
  GetCommentsForPullRequestCommand,
  GetCommitCommand,
  IdempotencyParameterMismatchException,
  ParentCommitIdOutdatedException,
  PostCommentForPullRequestCommand,
  UpdateCommentCommand,
} from '@aws-sdk/client-codecommit';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import type { FunctionDependencies, FunctionLogger } from '../../functions/dependencies.ts';
import type { FunctionEnvironment } from '../../functions/environment.ts';
import { DynamoDbLedger, ensureLedgerTable } from '../../shared/audit/dynamodb.ts';
import { silentLogLine } from '../../shared/audit/log.ts';
import { DynamoDbAppliedCommits } from '../../shared/lock/applied-commit.ts';
import { ensureLockTable, LeaseLock } from '../../shared/lock/lease.ts';
import { reconcile } from '../../shared/reconcile/run.ts';
import { type AwsSimulator, writeCount as countWrites, createAwsSimulator } from '../../shared/sim/index.ts';
import { LocalGitSource } from '../../shared/source/local-git.ts';
import { localDynamoDb } from '../support/dynamodb.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../support/fixtures.ts';
import { makeRepo, type TestRepo } from '../support/git-repo.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const REPOSITORY = 'platform-config';

const FIXTURES = new URL('../fixtures/events/', import.meta.url);

/** An event fixture (test/fixtures/events/<name>.json), its detail patched. */
export function eventFixture<T>(
  name: string,
  detail: Record<string, unknown> = {},
  top: Record<string, unknown> = {},
): T {
  const event = JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8')) as Record<string, unknown>;
  return { ...event, ...top, detail: { ...(event.detail as Record<string, unknown>), ...detail } } as T;
}

export function writeCount(simulator: AwsSimulator, api?: string): number {
  return countWrites(simulator.calls, api);
}

export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly attributes: Record<string, unknown>;
}

export class CapturingLogger implements FunctionLogger {
  readonly lines: LogLine[] = [];
  info(message: string, ...attributes: Record<string, unknown>[]): void {
    this.lines.push({ level: 'info', message, attributes: Object.assign({}, ...attributes) });
  }
  warn(message: string, ...attributes: Record<string, unknown>[]): void {
    this.lines.push({ level: 'warn', message, attributes: Object.assign({}, ...attributes) });
  }
  error(message: string, ...attributes: Record<string, unknown>[]): void {
    this.lines.push({ level: 'error', message, attributes: Object.assign({}, ...attributes) });
  }
}

/** Fails the test on any call: proves a path touches nothing. */
export function untouchable<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get: (_target, property) => {
      if (property === 'then') return undefined;
      throw new Error(`${what}.${String(property)} was used`);
    },
  });
}

export function testEnvironment(overrides: Partial<FunctionEnvironment> = {}): FunctionEnvironment {
  return {
    repository: REPOSITORY,
    branch: 'main',
    pathPrefix: '',
    installationId: 'test',
    ledgerTable: 'unused',
    lockTable: 'unused',
    eventBus: 'driftless-test',
    allowedClusters: ['prod'],
    stackNamePrefix: 'platform-',
    // The example repository's stack declares these; a deployment allows them with -c allowedResourceTypes.
    allowedResourceTypes: ['AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::EC2::SecurityGroup'],
    readStacks: [],
    selfHeal: true,
    prune: false,
    readShare: 1,
    // Where the simulator pretends to be, as the function learns it from AWS_REGION and its own ARN.
    partition: 'aws',
    account: ACCOUNT,
    region: REGION,
    ...overrides,
  };
}

// ------------------------------------------------------------------------------------------------ CodeCommit comments

/** An in-memory pull request's comments behind the CodeCommit mock, answering as the API reference shows:
 * GetCommentsForPullRequest in pages (nextToken), PostCommentForPullRequest, UpdateComment. */
export class CommentStore {
  readonly comments: Comment[] = [];
  constructor(
    readonly client: CodeCommitClient,
    readonly pageSize = 2,
  ) {
    const mock = mockClient(client);
    mock.on(GetCommentsForPullRequestCommand).callsFake((input: { pullRequestId: string; nextToken?: string }) => {
      const start = Number(input.nextToken ?? '0');
      const page = this.comments.slice(start, start + this.pageSize);
      const next = start + this.pageSize < this.comments.length ? String(start + this.pageSize) : undefined;
      return {
        commentsForPullRequestData: [
          {
            pullRequestId: input.pullRequestId,
            repositoryName: REPOSITORY,
            beforeCommitId: 'b'.repeat(40),
            afterCommitId: 'a'.repeat(40),
            comments: structuredClone(page),
          },
        ],
        ...(next ? { nextToken: next } : {}),
      };
    });
    mock.on(PostCommentForPullRequestCommand).callsFake((input) => {
      const comment = this.add(input.content ?? '', 'arn:aws:sts::123456789012:assumed-role/driftless-pull-request/fn');
      return {
        repositoryName: input.repositoryName,
        pullRequestId: input.pullRequestId,
        beforeCommitId: input.beforeCommitId,
        afterCommitId: input.afterCommitId,
        comment: structuredClone(comment),
      };
    });
    mock.on(UpdateCommentCommand).callsFake((input) => {
      const comment = this.comments.find((candidate) => candidate.commentId === input.commentId);
      if (!comment)
        throw new CommentDoesNotExistException({ message: 'No comment exists with the provided ID.', $metadata: {} });
      comment.content = input.content;
      comment.lastModifiedDate = new Date();
      return { comment: structuredClone(comment) };
    });
    this.mock = mock;
  }

  readonly mock: ReturnType<typeof mockClient>;

  add(content: string, authorArn = 'arn:aws:iam::123456789012:user/Saanvi_Sarkar'): Comment {
    const now = new Date(Date.now() + this.comments.length);
    const comment: Comment = {
      commentId: randomUUID(),
      content,
      creationDate: now,
      lastModifiedDate: now,
      authorArn,
      deleted: false,
      callerReactions: [],
      reactionCounts: {},
    };
    this.comments.push(comment);
    return comment;
  }

  calls(command: 'GetCommentsForPullRequest' | 'PostCommentForPullRequest' | 'UpdateComment'): number {
    const type = {
      GetCommentsForPullRequest: GetCommentsForPullRequestCommand,
      PostCommentForPullRequest: PostCommentForPullRequestCommand,
      UpdateComment: UpdateCommentCommand,
    }[command];
    return this.mock.commandCalls(type as never).length;
  }
}

// ------------------------------------------------------------------------------------------------ CodeCommit proposals

export interface FakeCommit {
  readonly commitId: string;
  readonly parents: string[];
  readonly input: CreateCommitInput;
}

export interface FakePullRequest {
  readonly pullRequestId: string;
  readonly input: CreatePullRequestInput;
}

/** The branches, commits and pull requests a ChangeProposer makes, behind the CodeCommit mock, answering as the
 * API reference shows: CreateBranch (BranchNameExistsException), GetBranch, CreateCommit (parentCommitId must be the
 * branch's tip: ParentCommitIdOutdatedException), GetCommit, CreatePullRequest (a repeated clientRequestToken answers
 * the first pull request; with other parameters, IdempotencyParameterMismatchException). Branches other than the
 * ones created here point at whatever `branches` is given. */
export class ProposalStore {
  readonly branches = new Map<string, string>();
  readonly commits = new Map<string, FakeCommit>();
  readonly pullRequests: FakePullRequest[] = [];
  readonly mock: ReturnType<typeof mockClient>;

  constructor(readonly client: CodeCommitClient) {
    const mock = mockClient(client);
    mock.on(CreateBranchCommand).callsFake((input: { branchName: string; commitId: string }) => {
      if (this.branches.has(input.branchName)) {
        throw new BranchNameExistsException({
          message: `Branch name ${input.branchName} already exists in repository ${REPOSITORY}`,
          $metadata: { httpStatusCode: 400 },
        });
      }
      this.branches.set(input.branchName, input.commitId);
      return {};
    });
    mock.on(GetBranchCommand).callsFake((input: { branchName: string }) => {
      const commitId = this.branches.get(input.branchName);
      if (!commitId) {
        throw new BranchDoesNotExistException({ message: `Branch ${input.branchName} does not exist`, $metadata: {} });
      }
      return { branch: { branchName: input.branchName, commitId } };
    });
    mock.on(CreateCommitCommand).callsFake((input: CreateCommitInput) => {
      const tip = this.branches.get(input.branchName ?? '');
      if (!tip) throw new BranchDoesNotExistException({ message: `Branch does not exist`, $metadata: {} });
      if (input.parentCommitId !== tip) {
        throw new ParentCommitIdOutdatedException({
          message: 'The parent commit ID is not the most recent commit ID.',
          $metadata: { httpStatusCode: 400 },
        });
      }
      const commitId = createHash('sha1').update(JSON.stringify({ tip, input })).digest('hex');
      this.commits.set(commitId, { commitId, parents: [tip], input });
      this.branches.set(input.branchName ?? '', commitId);
      const metadata = (path: string | undefined) => ({
        absolutePath: path,
        blobId: 'b'.repeat(40),
        fileMode: 'NORMAL',
      });
      return {
        commitId,
        treeId: 'e'.repeat(40),
        filesAdded: [],
        filesUpdated: (input.putFiles ?? []).map((file) => metadata(file.filePath)),
        filesDeleted: (input.deleteFiles ?? []).map((file) => metadata(file.filePath)),
      };
    });
    mock.on(GetCommitCommand).callsFake((input: { commitId: string }) => {
      const commit = this.commits.get(input.commitId);
      const author = { name: commit?.input.authorName ?? 'Test Author', email: '', date: '1767323045 +0000' };
      return {
        commit: {
          commitId: input.commitId,
          treeId: 'e'.repeat(40),
          parents: commit?.parents ?? [],
          message: commit?.input.commitMessage ?? '',
          author,
          committer: author,
          additionalData: '',
        },
      };
    });
    mock.on(CreatePullRequestCommand).callsFake((input: CreatePullRequestInput) => {
      const earlier = this.pullRequests.find((pr) => pr.input.clientRequestToken === input.clientRequestToken);
      if (earlier && JSON.stringify(earlier.input) !== JSON.stringify(input)) {
        throw new IdempotencyParameterMismatchException({
          message: 'The client request token is not valid.',
          $metadata: { httpStatusCode: 400 },
        });
      }
      const pullRequest = earlier ?? { pullRequestId: String(this.pullRequests.length + 1), input };
      if (!earlier) this.pullRequests.push(pullRequest);
      const target = input.targets?.[0];
      return {
        pullRequest: {
          pullRequestId: pullRequest.pullRequestId,
          title: input.title,
          description: input.description,
          pullRequestStatus: 'OPEN',
          authorArn: 'arn:aws:sts::123456789012:assumed-role/driftless-deployment-outcome/fn',
          clientRequestToken: input.clientRequestToken,
          creationDate: new Date(),
          lastActivityDate: new Date(),
          revisionId: 'a'.repeat(64),
          pullRequestTargets: [
            {
              repositoryName: target?.repositoryName,
              sourceReference: `refs/heads/${target?.sourceReference}`,
              destinationReference: `refs/heads/${target?.destinationReference}`,
              sourceCommit: this.branches.get(target?.sourceReference ?? ''),
              mergeMetadata: { isMerged: false },
            },
          ],
        },
      };
    });
    this.mock = mock;
  }

  /** The names of the commands received, in order. */
  commandNames(): string[] {
    return this.mock.calls().map((call) => (call.args[0] as object).constructor.name.replace(/Command$/, ''));
  }
}

// ------------------------------------------------------------------------------------------------ the harness

export interface Harness {
  readonly repo: TestRepo;
  readonly simulator: AwsSimulator;
  readonly ledger: DynamoDbLedger;
  readonly logger: CapturingLogger;
  /** The EventBridge mock: PutEvents answers every entry published unless a test says otherwise. */
  readonly eventBridge: ReturnType<typeof mockClient>;
  readonly comments: CommentStore;
  readonly deps: FunctionDependencies;
  /** Detail types of every event PutEvents was sent, in order. */
  announced(): string[];
  /** Details of the events of one detail type. */
  details(detailType: string): Record<string, unknown>[];
  /** A full reconcile of the branch head (what the first sweep after install does), then the simulator settles. */
  bootstrap(): Promise<string>;
  /** A new commit on main changing web's image. */
  bumpImage(version: string): Promise<string>;
  cleanup(): Promise<void>;
}

let dynamo: DynamoDBClient | undefined;

function dynamoClient(): DynamoDBClient {
  dynamo ??= localDynamoDb({ region: REGION });
  return dynamo;
}

export async function createHarness(
  options: { environment?: Partial<FunctionEnvironment>; deps?: Partial<FunctionDependencies> } = {},
): Promise<Harness> {
  const suffix = randomUUID().slice(0, 8);
  const client = dynamoClient();
  const ledgerTable = `fn-ledger-${suffix}`;
  const lockTable = `fn-lock-${suffix}`;
  await ensureLedgerTable(client, ledgerTable);
  await ensureLockTable(client, lockTable);
  const repo = await makeRepo(await readTree(EXAMPLE_REPO_DIR));
  const simulator = createAwsSimulator({ seed: 11, accountId: ACCOUNT, region: REGION });
  const ledger = new DynamoDbLedger({ tableName: ledgerTable, client, logger: silentLogLine });
  const lock = new LeaseLock({ tableName: lockTable, client });
  const logger = new CapturingLogger();
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const eventBridgeClient = new EventBridgeClient({ region: REGION, credentials });
  const eventBridge = mockClient(eventBridgeClient);
  eventBridge.on(PutEventsCommand).callsFake((input: { Entries?: unknown[] }) => ({
    FailedEntryCount: 0,
    Entries: (input.Entries ?? []).map(() => ({ EventId: randomUUID() })),
  }));
  const comments = new CommentStore(new CodeCommitClientClass({ region: REGION, credentials }));
  const deps: FunctionDependencies = {
    environment: testEnvironment({ ledgerTable, lockTable, ...options.environment }),
    source: new LocalGitSource({ repoDir: repo.dir }),
    ecs: simulator.ecs,
    cloudFormation: simulator.cloudFormation,
    codeCommit: comments.client,
    eventBridge: eventBridgeClient,
    ledger,
    lock,
    appliedCommits: new DynamoDbAppliedCommits(lockTable, client),
    logger,
    applyOptions: { changeSetPollMs: 1, baseDelayMs: 1 },
    ...options.deps,
  };
  const putEntries = () =>
    eventBridge
      .commandCalls(PutEventsCommand)
      .flatMap((call) => call.args[0].input.Entries ?? [])
      .map((entry) => ({ detailType: entry.DetailType ?? '', detail: JSON.parse(entry.Detail ?? '{}') }));
  const web = (await readTree(EXAMPLE_REPO_DIR))['services/web.yaml']!.toString();
  return {
    repo,
    simulator,
    ledger,
    logger,
    eventBridge,
    comments,
    deps,
    announced: () => putEntries().map((entry) => entry.detailType),
    details: (detailType) =>
      putEntries()
        .filter((entry) => entry.detailType === detailType)
        .map((entry) => entry.detail as Record<string, unknown>),
    async bootstrap() {
      const result = await reconcile(
        {
          repository: REPOSITORY,
          branch: 'main',
          trigger: 'manual',
          installationId: deps.environment.installationId,
          applyOptions: { changeSetPollMs: 1, baseDelayMs: 1 },
        },
        {
          source: deps.source,
          ecs: simulator.ecs,
          cloudFormation: simulator.cloudFormation,
          ledger,
          lock,
          ...(deps.appliedCommits ? { appliedCommits: deps.appliedCommits } : {}),
        },
      );
      simulator.advance();
      simulator.resetCalls();
      return result.commitId!;
    },
    bumpImage: (version) =>
      repo.commit({ 'services/web.yaml': web.replace('web:1.4.2', `web:${version}`) }, `web: image ${version}`),
    async cleanup() {
      simulator.restore();
      eventBridge.restore();
      comments.mock.restore();
      await repo.cleanup();
    },
  };
}
