import {
  BranchNameExistsException,
  CodeCommitClient,
  CodeCommitServiceException,
  CreateBranchCommand,
  CreateCommitCommand,
  CreatePullRequestCommand,
  GetBranchCommand,
  GetCommitCommand,
  IdempotencyParameterMismatchException,
  NoChangeException,
  ParentCommitIdOutdatedException,
} from '@aws-sdk/client-codecommit';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { RetryableError, TerminalError } from '../../../shared/errors.ts';
import { CodeCommitProposer, pullRequestToken } from '../../../shared/writeback/codecommit-proposer.ts';
import type { Proposal } from '../../../shared/writeback/proposals.ts';

const REPOSITORY = 'platform-config';
const BASE = 'c5709475a1b2c3d4e5f60718293a4b5c6d7e8f90';
const NEW_COMMIT = '4c925148b2c3d4e5f60718293a4b5c6d7e8f9012';
const OTHER = '317f8570a1b2c3d4e5f60718293a4b5c6d7e8f90';
const BRANCH = 'driftless/rollback/web-1a2b3c4d5e6f';

const PROPOSAL: Proposal = {
  branch: BRANCH,
  baseCommitId: BASE,
  targetBranch: 'main',
  files: [
    { path: 'services/web.yaml', content: 'image: web:1\n' },
    { path: 'services/old.yaml', content: null },
  ],
  commitMessage: 'Revert web to 1a2b3c4d5e6f: deployment rolled back',
  title: 'Revert web to 1a2b3c4d5e6f: deployment rolled back',
  description: 'The ECS deployment circuit breaker rolled back commit X.',
};

function proposer(): CodeCommitProposer {
  return new CodeCommitProposer({
    repositoryName: REPOSITORY,
    client: new CodeCommitClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 1,
    }),
  });
}

/** CreatePullRequest's response as the API reference shows it. */
function pullRequestResponse(id: string) {
  return {
    pullRequest: {
      pullRequestId: id,
      title: PROPOSAL.title,
      description: PROPOSAL.description,
      pullRequestStatus: 'OPEN' as const,
      authorArn: 'arn:aws:iam::111122223333:role/driftless-deployment-outcome',
      creationDate: new Date('2026-01-02T03:04:05Z'),
      lastActivityDate: new Date('2026-01-02T03:04:05Z'),
      clientRequestToken: pullRequestToken(REPOSITORY, BRANCH),
      revisionId: 'a1b2c3d4',
      pullRequestTargets: [
        {
          repositoryName: REPOSITORY,
          sourceReference: `refs/heads/${BRANCH}`,
          destinationReference: 'refs/heads/main',
          sourceCommit: NEW_COMMIT,
          destinationCommit: BASE,
          mergeBase: BASE,
          mergeMetadata: { isMerged: false },
        },
      ],
    },
  };
}

const branchExists = () =>
  new BranchNameExistsException({
    message: `Branch name ${BRANCH} already exists in repository ${REPOSITORY}`,
    $metadata: { httpStatusCode: 400 },
  });

const EXPECTED_COMMIT_INPUT = {
  repositoryName: REPOSITORY,
  branchName: BRANCH,
  parentCommitId: BASE,
  authorName: 'driftless',
  commitMessage: PROPOSAL.commitMessage,
  putFiles: [{ filePath: 'services/web.yaml', fileContent: new TextEncoder().encode('image: web:1\n') }],
  deleteFiles: [{ filePath: 'services/old.yaml' }],
};

const EXPECTED_PULL_REQUEST_INPUT = {
  title: PROPOSAL.title,
  description: PROPOSAL.description,
  targets: [{ repositoryName: REPOSITORY, sourceReference: BRANCH, destinationReference: 'main' }],
  clientRequestToken: pullRequestToken(REPOSITORY, BRANCH),
};

describe('CodeCommitProposer', () => {
  const codeCommit = mockClient(CodeCommitClient);

  afterEach(() => {
    codeCommit.reset();
  });

  it('creates the branch at the base, one driftless commit with the files, and a pull request into the target', async () => {
    // Prepare
    codeCommit.on(CreateBranchCommand).resolves({});
    codeCommit
      .on(CreateCommitCommand)
      .resolves({ commitId: NEW_COMMIT, treeId: OTHER, filesAdded: [], filesUpdated: [], filesDeleted: [] });
    codeCommit.on(CreatePullRequestCommand).resolves(pullRequestResponse('42'));

    // Act
    const result = await proposer().propose(PROPOSAL);

    // Assess
    expect(result).toEqual({ status: 'opened', branch: BRANCH, commitId: NEW_COMMIT, pullRequestId: '42' });
    expect(codeCommit.calls().map((call) => call.args[0].constructor.name)).toEqual([
      'CreateBranchCommand',
      'CreateCommitCommand',
      'CreatePullRequestCommand',
    ]);
    expect(codeCommit.commandCalls(CreateBranchCommand)[0]?.args[0].input).toEqual({
      repositoryName: REPOSITORY,
      branchName: BRANCH,
      commitId: BASE,
    });
    expect(codeCommit.commandCalls(CreateCommitCommand)[0]?.args[0].input).toEqual(EXPECTED_COMMIT_INPUT);
    expect(codeCommit.commandCalls(CreatePullRequestCommand)[0]?.args[0].input).toEqual(EXPECTED_PULL_REQUEST_INPUT);
  });

  it('answers exists and writes nothing when the branch was pushed to since (not driftless’s commit on the base)', async () => {
    // Prepare
    codeCommit.on(CreateBranchCommand).rejects(branchExists());
    codeCommit.on(GetBranchCommand).resolves({ branch: { branchName: BRANCH, commitId: OTHER } });
    codeCommit.on(GetCommitCommand).resolves({
      commit: {
        commitId: OTHER,
        parents: [NEW_COMMIT],
        author: { name: 'Jane Doe', email: 'jane@example.com', date: '1767323045 +0000' },
        message: 'tweak',
      },
    });

    // Act
    const result = await proposer().propose(PROPOSAL);

    // Assess
    expect(result).toEqual({ status: 'exists', branch: BRANCH });
    expect(codeCommit).toHaveReceivedCommandWith(GetBranchCommand, { repositoryName: REPOSITORY, branchName: BRANCH });
    expect(codeCommit).not.toHaveReceivedCommand(CreateCommitCommand);
    expect(codeCommit).not.toHaveReceivedCommand(CreatePullRequestCommand);
  });

  it('finishes a half-made proposal whose branch is still at the base: the commit, then the pull request', async () => {
    // Prepare
    codeCommit.on(CreateBranchCommand).rejects(branchExists());
    codeCommit.on(GetBranchCommand).resolves({ branch: { branchName: BRANCH, commitId: BASE } });
    codeCommit.on(CreateCommitCommand).resolves({ commitId: NEW_COMMIT, treeId: OTHER });
    codeCommit.on(CreatePullRequestCommand).resolves(pullRequestResponse('43'));

    // Act
    const result = await proposer().propose(PROPOSAL);

    // Assess
    expect(result).toEqual({ status: 'opened', branch: BRANCH, commitId: NEW_COMMIT, pullRequestId: '43' });
    expect(codeCommit.commandCalls(CreateCommitCommand)[0]?.args[0].input).toEqual(EXPECTED_COMMIT_INPUT);
    expect(codeCommit.commandCalls(CreatePullRequestCommand)[0]?.args[0].input).toEqual(EXPECTED_PULL_REQUEST_INPUT);
  });

  it('finishes a half-made proposal whose commit was made: CreatePullRequest with the same token, no second commit', async () => {
    // Prepare
    codeCommit.on(CreateBranchCommand).rejects(branchExists());
    codeCommit.on(GetBranchCommand).resolves({ branch: { branchName: BRANCH, commitId: NEW_COMMIT } });
    codeCommit.on(GetCommitCommand).resolves({
      commit: {
        commitId: NEW_COMMIT,
        treeId: OTHER,
        parents: [BASE],
        author: { name: 'driftless', email: '', date: '1767323045 +0000' },
        committer: { name: 'driftless', email: '', date: '1767323045 +0000' },
        message: PROPOSAL.commitMessage,
      },
    });
    codeCommit.on(CreatePullRequestCommand).resolves(pullRequestResponse('44'));

    // Act
    const result = await proposer().propose(PROPOSAL);

    // Assess
    expect(result).toEqual({ status: 'opened', branch: BRANCH, commitId: NEW_COMMIT, pullRequestId: '44' });
    expect(codeCommit).toHaveReceivedCommandWith(GetCommitCommand, {
      repositoryName: REPOSITORY,
      commitId: NEW_COMMIT,
    });
    expect(codeCommit).not.toHaveReceivedCommand(CreateCommitCommand);
    expect(codeCommit.commandCalls(CreatePullRequestCommand)[0]?.args[0].input).toEqual(EXPECTED_PULL_REQUEST_INPUT);
  });

  it('answers exists when the token opened a pull request before with other parameters', async () => {
    // Prepare
    codeCommit.on(CreateBranchCommand).rejects(branchExists());
    codeCommit.on(GetBranchCommand).resolves({ branch: { branchName: BRANCH, commitId: NEW_COMMIT } });
    codeCommit.on(GetCommitCommand).resolves({
      commit: { commitId: NEW_COMMIT, parents: [BASE], author: { name: 'driftless', date: '1767323045 +0000' } },
    });
    codeCommit.on(CreatePullRequestCommand).rejects(
      new IdempotencyParameterMismatchException({
        message:
          'The client request token is not valid. Either the token is not in a valid format, or the token has been used in a previous request and cannot be reused.',
        $metadata: { httpStatusCode: 400 },
      }),
    );

    // Act
    const result = await proposer().propose(PROPOSAL);

    // Assess
    expect(result).toEqual({ status: 'exists', branch: BRANCH });
  });

  it('rethrows throttling as RetryableError and refusals as TerminalError, with the AWS error as the cause', async () => {
    // Prepare
    codeCommit.on(CreateBranchCommand).resolves({});
    codeCommit
      .on(CreateCommitCommand)
      .rejectsOnce(
        new CodeCommitServiceException({
          name: 'ThrottlingException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400, attempts: 3 },
          message: 'Rate exceeded',
        }),
      )
      .rejects(
        new ParentCommitIdOutdatedException({
          message: 'The parent commit ID is not the most recent commit ID.',
          $metadata: { httpStatusCode: 400 },
        }),
      );

    // Act
    const throttled = await proposer()
      .propose(PROPOSAL)
      .catch((error: unknown) => error);
    const outdated = await proposer()
      .propose(PROPOSAL)
      .catch((error: unknown) => error);

    // Assess
    expect(throttled).toBeInstanceOf(RetryableError);
    expect((throttled as Error).cause).toMatchObject({ name: 'ThrottlingException' });
    expect(outdated).toBeInstanceOf(TerminalError);
    expect((outdated as Error).message).toMatch(/CreateCommit on driftless\/rollback\/web-1a2b3c4d5e6f/);
    expect((outdated as Error).cause).toBeInstanceOf(ParentCommitIdOutdatedException);
  });

  it('reports a proposal that changes nothing (NoChangeException) as terminal, opening no pull request', async () => {
    // Prepare
    codeCommit.on(CreateBranchCommand).resolves({});
    codeCommit.on(CreateCommitCommand).rejects(
      new NoChangeException({
        message:
          'The commit cannot be created because no changes will be made to the repository as a result of this commit.',
        $metadata: { httpStatusCode: 400 },
      }),
    );

    // Act
    const error = await proposer()
      .propose(PROPOSAL)
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(TerminalError);
    expect((error as Error).message).toMatch(/nothing to propose/);
    expect(codeCommit).not.toHaveReceivedCommand(CreatePullRequestCommand);
  });

  it('refuses a proposal with no file, a path outside the repository or a base that is not a commit id, calling nothing', async () => {
    // Act
    const empty = await proposer()
      .propose({ ...PROPOSAL, files: [] })
      .catch((error: unknown) => error);
    const outside = await proposer()
      .propose({ ...PROPOSAL, files: [{ path: '../escape.yaml', content: 'x' }] })
      .catch((error: unknown) => error);
    const notACommit = await proposer()
      .propose({ ...PROPOSAL, baseCommitId: 'main' })
      .catch((error: unknown) => error);

    // Assess
    expect(empty).toBeInstanceOf(TerminalError);
    expect((outside as Error).message).toMatch(/invalid file path '..\/escape.yaml'/);
    expect((notACommit as Error).message).toMatch(/base main is not a full commit id/);
    expect(codeCommit.calls()).toEqual([]);
  });

  it('derives one token per repository and branch', () => {
    expect(pullRequestToken(REPOSITORY, BRANCH)).toBe(pullRequestToken(REPOSITORY, BRANCH));
    expect(pullRequestToken(REPOSITORY, BRANCH)).not.toBe(pullRequestToken(REPOSITORY, `${BRANCH}x`));
    expect(pullRequestToken(REPOSITORY, BRANCH)).toMatch(/^[0-9a-f]{64}$/);
  });
});
