/**
 * A ChangeProposer for a GitHub repository: the proposal's files as one tree on the base commit's tree, one commit on
 * the base (author `driftless`), the branch created at that commit, and a pull request into the tracked branch.
 * Nothing is ever merged.
 *
 * The commit is made before the branch, so the branch never exists without it. Made once, like the CodeCommit
 * proposer: the branch name is deterministic, so a branch that exists already was made before, and a crashed earlier
 * attempt is finished instead of answered `exists`:
 * - the branch is still at the base commit → it is moved (fast-forward only) to the new commit, then the pull request;
 * - the branch holds driftless's commit on the base (one parent, the base; author `driftless`) → its open pull request
 *   with this title and description is the answer (`opened`), or the pull request is opened now.
 * A branch anywhere else, or a pull request from it that was closed or edited, is `exists`: nothing is written over
 * anyone's work or decision. An earlier attempt's commit that no branch took is left for GitHub to collect.
 *
 * Errors: rate limits, 5xx and timeouts are RetryableError (GitUnavailableError); refusals are TerminalError.
 */
import { isRetryableAwsError } from '../aws/errors.ts';
import { DriftlessError, RetryableError, TerminalError } from '../errors.ts';
import { type GitHubClientOptions, type GitHubTokenSource, gitHubRestClient } from '../source/github-auth.ts';
import type { RestClient } from '../source/rest-client.ts';
import {
  type ChangeProposer,
  checkProposal,
  PROPOSER_AUTHOR,
  type Proposal,
  type ProposalResult,
} from './proposals.ts';

export interface GitHubProposerOptions extends GitHubClientOptions {
  readonly owner: string;
  readonly repo: string;
  readonly auth: GitHubTokenSource;
  /** The email of driftless's commits (GitHub wants one). @default driftless@users.noreply.github.com */
  readonly authorEmail?: string;
}

interface CommitAnswer {
  readonly sha: string;
  readonly tree: { readonly sha: string };
  readonly author: { readonly name: string };
  readonly parents: readonly { readonly sha: string }[];
}

interface PullAnswer {
  readonly number: number;
  readonly state: string;
  readonly title: string;
  readonly body: string | null;
}

interface ValidationFailure {
  readonly message?: string;
  readonly errors?: readonly { readonly message?: string; readonly code?: string }[];
}

export class GitHubProposer implements ChangeProposer {
  readonly description: string;
  private readonly client: RestClient;
  private readonly repoPath: string;

  constructor(private readonly options: GitHubProposerOptions) {
    this.client = gitHubRestClient(options.auth, options);
    this.repoPath = `/repos/${encodeURIComponent(options.owner)}/${encodeURIComponent(options.repo)}`;
    this.description = `GitHub repository ${options.owner}/${options.repo}`;
  }

  async propose(proposal: Proposal): Promise<ProposalResult> {
    checkProposal(proposal);
    const { branch } = proposal;
    try {
      const commitId = await this.createCommit(proposal);
      if (await this.createBranch(branch, commitId)) return await this.openPullRequest(proposal, commitId);

      const head = await this.branchHead(branch);
      if (head === proposal.baseCommitId) {
        if (!(await this.fastForward(branch, commitId))) return { status: 'exists', branch };
        return await this.openPullRequest(proposal, commitId);
      }
      if (!(await this.isOurCommitOn(head, proposal.baseCommitId))) return { status: 'exists', branch };
      const earlier = await this.findPullRequest(proposal);
      if (earlier === undefined) return await this.openPullRequest(proposal, head);
      return this.answerFor(earlier, proposal, head);
    } catch (error) {
      throw this.wrap(`proposal ${branch}`, error);
    }
  }

  /** The tree is the base's with the proposal's files put (inline content makes the blobs) or removed. */
  private async createCommit(proposal: Proposal): Promise<string> {
    const base = await this.get<CommitAnswer>(`/git/commits/${proposal.baseCommitId}`);
    const tree = await this.post<{ sha: string }>('/git/trees', {
      base_tree: base.tree.sha,
      tree: proposal.files.map((file) =>
        file.content === null
          ? { path: file.path, mode: '100644', type: 'blob', sha: null }
          : { path: file.path, mode: '100644', type: 'blob', content: file.content },
      ),
    });
    if (tree.body.sha === base.tree.sha) {
      throw new TerminalError(
        `nothing to propose on ${this.where(proposal.branch)}: the files are already as proposed at ${proposal.baseCommitId}`,
      );
    }
    const author = {
      name: PROPOSER_AUTHOR,
      email: this.options.authorEmail ?? 'driftless@users.noreply.github.com',
      date: new Date().toISOString(),
    };
    const commit = await this.post<{ sha: string }>('/git/commits', {
      message: proposal.commitMessage,
      tree: tree.body.sha,
      parents: [proposal.baseCommitId],
      author,
      committer: author,
    });
    return commit.body.sha;
  }

  /** False when the branch exists already (GitHub: 422 "Reference already exists"). */
  private async createBranch(branch: string, commitId: string): Promise<boolean> {
    const answer = await this.post<ValidationFailure>(
      '/git/refs',
      { ref: `refs/heads/${branch}`, sha: commitId },
      [422],
    );
    if (answer.status !== 422) return true;
    if (/already exists/i.test(detailOf(answer.body))) return false;
    throw new TerminalError(`GitHub refused branch ${this.where(branch)}: ${detailOf(answer.body)}`);
  }

  /** False when the branch moved since it was read (GitHub: 422 "Update is not a fast forward"). */
  private async fastForward(branch: string, commitId: string): Promise<boolean> {
    const answer = await this.client.request<ValidationFailure>({
      method: 'PATCH',
      path: `${this.repoPath}/git/refs/heads/${encodeBranch(branch)}`,
      body: { sha: commitId, force: false },
      expect: [422],
    });
    return answer.status !== 422;
  }

  private async branchHead(branch: string): Promise<string> {
    const ref = await this.get<{ object?: { sha?: string } }>(`/git/ref/heads/${encodeBranch(branch)}`);
    if (!ref.object?.sha) throw new TerminalError(`GitHub answered branch ${this.where(branch)} without a commit`);
    return ref.object.sha;
  }

  private async isOurCommitOn(commitId: string, baseCommitId: string): Promise<boolean> {
    const commit = await this.get<CommitAnswer>(`/git/commits/${commitId}`);
    return (
      commit.parents.length === 1 && commit.parents[0]?.sha === baseCommitId && commit.author.name === PROPOSER_AUTHOR
    );
  }

  private async openPullRequest(proposal: Proposal, commitId: string): Promise<ProposalResult> {
    const answer = await this.post<PullAnswer & ValidationFailure>(
      '/pulls',
      { title: proposal.title, head: proposal.branch, base: proposal.targetBranch, body: proposal.description },
      [422],
    );
    if (answer.status !== 422) {
      return { status: 'opened', branch: proposal.branch, commitId, pullRequestId: String(answer.body.number) };
    }
    if (!/already exists/i.test(detailOf(answer.body))) {
      throw new TerminalError(
        `GitHub refused the pull request from ${this.where(proposal.branch)}: ${detailOf(answer.body)}`,
      );
    }
    const earlier = await this.findPullRequest(proposal);
    return earlier ? this.answerFor(earlier, proposal, commitId) : { status: 'exists', branch: proposal.branch };
  }

  /** The pull request from the branch into the target: an open one first, else the newest closed one. */
  private async findPullRequest(proposal: Proposal): Promise<PullAnswer | undefined> {
    const pulls: PullAnswer[] = [];
    for await (const pull of this.client.paginate<PullAnswer>({
      path: `${this.repoPath}/pulls`,
      query: { head: `${this.options.owner}:${proposal.branch}`, base: proposal.targetBranch, state: 'all' },
    })) {
      pulls.push(pull);
    }
    return pulls.find((pull) => pull.state === 'open') ?? pulls.sort((a, b) => b.number - a.number)[0];
  }

  /** An earlier attempt's pull request, untouched since, is this proposal's; closed or edited, it is someone's call. */
  private answerFor(pull: PullAnswer, proposal: Proposal, commitId: string): ProposalResult {
    const untouched =
      pull.state === 'open' && pull.title === proposal.title && (pull.body ?? '') === proposal.description;
    return untouched
      ? { status: 'opened', branch: proposal.branch, commitId, pullRequestId: String(pull.number) }
      : { status: 'exists', branch: proposal.branch };
  }

  private async get<T>(path: string): Promise<T> {
    return (await this.client.request<T>({ path: `${this.repoPath}${path}` })).body;
  }

  private post<T>(path: string, body: unknown, expect?: readonly number[]) {
    return this.client.request<T>({
      method: 'POST',
      path: `${this.repoPath}${path}`,
      body,
      ...(expect ? { expect } : {}),
    });
  }

  private where(branch: string): string {
    return `${this.options.owner}/${this.options.repo}@${branch}`;
  }

  private wrap(what: string, error: unknown): DriftlessError {
    if (error instanceof DriftlessError) return error;
    const reason = error instanceof Error ? error.message || error.name : String(error);
    const message = `GitHub ${what} in ${this.options.owner}/${this.options.repo} failed: ${reason}`;
    return isRetryableAwsError(error)
      ? new RetryableError(message, { cause: error })
      : new TerminalError(message, { cause: error });
  }
}

/** GitHub puts the reason of a 422 in `message` ("Reference already exists") or in `errors[].message`. */
function detailOf(body: ValidationFailure | undefined): string {
  return [body?.message, ...(body?.errors ?? []).map((error) => error.message ?? error.code)]
    .filter(Boolean)
    .join('; ');
}

function encodeBranch(branch: string): string {
  return branch.split('/').map(encodeURIComponent).join('/');
}
