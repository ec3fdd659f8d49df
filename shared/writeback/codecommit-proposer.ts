/**
 * A ChangeProposer for a CodeCommit repository: CreateBranch at the base commit, CreateCommit on it (the proposal's
 * files, author `driftless`), CreatePullRequest into the tracked branch. Nothing is ever merged.
 *
 * Made once: the branch name is deterministic, so a branch that exists already means the proposal was made before.
 * A crashed earlier attempt can have left it half made, and that is finished instead of answered `exists`:
 * - the branch is still at the base commit → the commit and the pull request are made;
 * - the branch holds driftless's commit on the base (one parent, the base; author `driftless`) → CreatePullRequest
 *   again with the same idempotency token: CodeCommit answers a repeat with the pull request the token opened
 *   first, so a retry never opens two, and the answer is `opened` with that pull request.
 * A branch anywhere else (pushed to since, or not driftless's) is `exists`: nothing is written over someone's work.
 *
 * Errors: throttling, 5xx and timeouts become RetryableError; anything else TerminalError, with the AWS error as cause.
 */
import { createHash } from 'node:crypto';
import {
  type CodeCommitClient,
  CreateBranchCommand,
  CreateCommitCommand,
  CreatePullRequestCommand,
  GetBranchCommand,
  GetCommitCommand,
} from '@aws-sdk/client-codecommit';
import { codeCommitClient } from '../aws/clients.ts';
import { errorName, isRetryableAwsError } from '../aws/errors.ts';
import { RetryableError, TerminalError } from '../errors.ts';
import {
  type ChangeProposer,
  checkProposal,
  PROPOSER_AUTHOR,
  type Proposal,
  type ProposalResult,
} from './proposals.ts';

export interface CodeCommitProposerOptions {
  readonly repositoryName: string;
  /** Injected so tests and callers control region, endpoint and retries; built by codeCommitClient() when absent. */
  readonly client?: CodeCommitClient;
}

export class CodeCommitProposer implements ChangeProposer {
  readonly description: string;
  private readonly repositoryName: string;
  private readonly client: CodeCommitClient;

  constructor(options: CodeCommitProposerOptions) {
    this.repositoryName = options.repositoryName;
    this.client = options.client ?? codeCommitClient();
    this.description = `CodeCommit repository ${options.repositoryName}`;
  }

  async propose(proposal: Proposal): Promise<ProposalResult> {
    checkProposal(proposal);
    const { branch } = proposal;
    let created = true;
    try {
      await this.client.send(
        new CreateBranchCommand({
          repositoryName: this.repositoryName,
          branchName: branch,
          commitId: proposal.baseCommitId,
        }),
      );
    } catch (error) {
      if (errorName(error) !== 'BranchNameExistsException') throw this.wrap(`CreateBranch ${branch}`, error);
      created = false;
    }

    let commitId: string;
    if (created) {
      commitId = await this.createCommit(proposal);
    } else {
      const head = await this.branchHead(branch);
      if (head === proposal.baseCommitId) {
        commitId = await this.createCommit(proposal);
      } else if (await this.isOurCommitOn(head, proposal.baseCommitId)) {
        commitId = head;
      } else {
        return { status: 'exists', branch };
      }
    }

    const pullRequestId = await this.createPullRequest(proposal);
    if (pullRequestId === undefined) return { status: 'exists', branch };
    return { status: 'opened', branch, commitId, pullRequestId };
  }

  private async createCommit(proposal: Proposal): Promise<string> {
    const putFiles = proposal.files
      .filter((file) => file.content !== null)
      .map((file) => ({ filePath: file.path, fileContent: new TextEncoder().encode(file.content ?? '') }));
    const deleteFiles = proposal.files.filter((file) => file.content === null).map((file) => ({ filePath: file.path }));
    try {
      const response = await this.client.send(
        new CreateCommitCommand({
          repositoryName: this.repositoryName,
          branchName: proposal.branch,
          parentCommitId: proposal.baseCommitId,
          authorName: PROPOSER_AUTHOR,
          commitMessage: proposal.commitMessage,
          ...(putFiles.length > 0 ? { putFiles } : {}),
          ...(deleteFiles.length > 0 ? { deleteFiles } : {}),
        }),
      );
      if (!response.commitId) {
        throw new TerminalError(`CodeCommit CreateCommit on ${this.where(proposal.branch)} returned no commit id`);
      }
      return response.commitId;
    } catch (error) {
      if (error instanceof TerminalError) throw error;
      if (errorName(error) === 'NoChangeException') {
        throw new TerminalError(
          `nothing to propose on ${this.where(proposal.branch)}: the files are already as proposed at ${proposal.baseCommitId}`,
          { cause: error },
        );
      }
      // ParentCommitIdOutdatedException: someone moved the branch between our reads; its owner decides, not us.
      throw this.wrap(`CreateCommit on ${proposal.branch}`, error);
    }
  }

  /** The pull request's id, or undefined when the token opened one already with other parameters. */
  private async createPullRequest(proposal: Proposal): Promise<string | undefined> {
    try {
      const response = await this.client.send(
        new CreatePullRequestCommand({
          title: proposal.title,
          description: proposal.description,
          targets: [
            {
              repositoryName: this.repositoryName,
              sourceReference: proposal.branch,
              destinationReference: proposal.targetBranch,
            },
          ],
          clientRequestToken: pullRequestToken(this.repositoryName, proposal.branch),
        }),
      );
      const id = response.pullRequest?.pullRequestId;
      if (!id) {
        throw new TerminalError(`CodeCommit CreatePullRequest for ${this.where(proposal.branch)} returned no id`);
      }
      return id;
    } catch (error) {
      if (error instanceof TerminalError) throw error;
      // The token was used before with a different title or description: that pull request is this proposal's.
      if (errorName(error) === 'IdempotencyParameterMismatchException') return undefined;
      throw this.wrap(`CreatePullRequest from ${proposal.branch}`, error);
    }
  }

  private async branchHead(branch: string): Promise<string> {
    try {
      const response = await this.client.send(
        new GetBranchCommand({ repositoryName: this.repositoryName, branchName: branch }),
      );
      const commitId = response.branch?.commitId;
      if (!commitId) throw new TerminalError(`CodeCommit GetBranch ${this.where(branch)} returned no commit id`);
      return commitId;
    } catch (error) {
      if (error instanceof TerminalError) throw error;
      throw this.wrap(`GetBranch ${branch}`, error);
    }
  }

  private async isOurCommitOn(commitId: string, baseCommitId: string): Promise<boolean> {
    try {
      const { commit } = await this.client.send(
        new GetCommitCommand({ repositoryName: this.repositoryName, commitId }),
      );
      const parents = commit?.parents ?? [];
      return parents.length === 1 && parents[0] === baseCommitId && commit?.author?.name === PROPOSER_AUTHOR;
    } catch (error) {
      throw this.wrap(`GetCommit ${commitId}`, error);
    }
  }

  private where(branch: string): string {
    return `${this.repositoryName}@${branch}`;
  }

  private wrap(what: string, error: unknown): RetryableError | TerminalError {
    const reason = error instanceof Error ? error.message || error.name : String(error);
    const message = `CodeCommit ${what} in ${this.repositoryName} failed: ${reason}`;
    return isRetryableAwsError(error)
      ? new RetryableError(message, { cause: error })
      : new TerminalError(message, { cause: error });
  }
}

/** Same repository and branch → same token, so a retried CreatePullRequest answers the pull request opened first. */
export function pullRequestToken(repositoryName: string, branch: string): string {
  return createHash('sha256').update(`driftless-proposal\0${repositoryName}\0${branch}`).digest('hex').slice(0, 64);
}
