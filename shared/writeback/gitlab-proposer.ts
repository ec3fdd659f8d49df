/**
 * A ChangeProposer for a GitLab project: one POST /repository/commits with `branch` and `start_sha` makes the branch
 * at the base and the commit on it (author `driftless`), then POST /merge_requests opens the merge request into the
 * tracked branch. Nothing is ever merged.
 *
 * Made once: the branch name is deterministic, so a branch that exists already means the proposal was made before
 * (GitLab refuses the commit: "A branch called … already exists"). A crashed earlier attempt can have left it half
 * made, and that is finished instead of answered `exists`:
 * - the branch is still at the base commit → the commit is made on it, then the merge request;
 * - the branch holds driftless's commit on the base (one parent, the base; author `driftless`) → the merge request
 *   is opened if it is missing, and the answer is `opened`; if it is open already (409 "Another open merge request
 *   already exists"), nothing was written and the answer is `exists`.
 * A branch anywhere else (pushed to since, or not driftless's) is `exists`: nothing is written over someone's work.
 *
 * Errors: rate limits, 5xx and timeouts are RetryableError; anything else TerminalError.
 */
import { createHash } from 'node:crypto';
import { RetryableError, TerminalError } from '../errors.ts';
import { type GitLabOptions, gitLabMessage, gitLabRestClient, projectApiPath } from '../source/gitlab-client.ts';
import type { RestClient, RestRequest, RestResponse } from '../source/rest-client.ts';
import {
  type ChangeProposer,
  checkProposal,
  PROPOSER_AUTHOR,
  type Proposal,
  type ProposalResult,
} from './proposals.ts';

export interface GitLabProposerOptions extends GitLabOptions {
  /** The email driftless's commits are authored under. @default driftless@localhost */
  readonly authorEmail?: string;
}

/** GitLab refuses a merge request title over 255 characters. */
const MAX_TITLE_LENGTH = 255;

interface CommitAction {
  readonly action: 'create' | 'update' | 'delete';
  readonly file_path: string;
  readonly content?: string;
}

export class GitLabProposer implements ChangeProposer {
  readonly description: string;
  private readonly client: RestClient;
  private readonly projectPath: string;

  constructor(private readonly options: GitLabProposerOptions) {
    this.client = gitLabRestClient(options);
    this.projectPath = projectApiPath(options.project);
    this.description = `GitLab project ${options.project}`;
  }

  async propose(proposal: Proposal): Promise<ProposalResult> {
    checkProposal(proposal);
    const { branch } = proposal;
    const actions = await this.actionsFor(proposal);
    let commitId = await this.createCommit(proposal, actions, true);
    let wrote = commitId !== undefined;
    if (commitId === undefined) {
      const head = await this.branchHead(branch);
      if (head === undefined || head === proposal.baseCommitId) {
        // Gone again (merged and removed meanwhile) → start it afresh; still at the base → commit onto it.
        commitId = await this.createCommit(proposal, actions, head === undefined);
        wrote = true;
      } else if (await this.isOurCommitOn(head, proposal.baseCommitId)) {
        commitId = head;
      } else {
        return { status: 'exists', branch };
      }
      if (commitId === undefined) throw new RetryableError(`GitLab branch ${this.where(branch)} moved while proposing`);
    }

    const iid = await this.openMergeRequest(proposal);
    if (iid !== undefined) return { status: 'opened', branch, commitId, pullRequestId: String(iid) };
    if (!wrote) return { status: 'exists', branch };
    const open = await this.openMergeRequestOf(proposal);
    return { status: 'opened', branch, commitId, ...(open === undefined ? {} : { pullRequestId: String(open) }) };
  }

  /** create or update by whether the base has the file; a file already as proposed is left out. */
  private async actionsFor(proposal: Proposal): Promise<CommitAction[]> {
    const actions: CommitAction[] = [];
    for (const file of proposal.files) {
      const head = await this.send(`file ${file.path} at ${proposal.baseCommitId}`, {
        method: 'HEAD',
        path: `${this.projectPath}/repository/files/${encodeURIComponent(file.path)}`,
        query: { ref: proposal.baseCommitId },
        expect: [404],
      });
      const exists = head.status !== 404;
      if (file.content === null) {
        if (exists) actions.push({ action: 'delete', file_path: file.path });
        continue;
      }
      const sha256 = createHash('sha256').update(file.content, 'utf8').digest('hex');
      if (exists && head.headers.get('x-gitlab-content-sha256') === sha256) continue;
      actions.push({ action: exists ? 'update' : 'create', file_path: file.path, content: file.content });
    }
    if (actions.length === 0) {
      throw new TerminalError(
        `nothing to propose on ${this.where(proposal.branch)}: the files are already as proposed at ${proposal.baseCommitId}`,
      );
    }
    return actions;
  }

  /** The new commit's id, or undefined when the branch exists already (only asked when starting it at the base). */
  private async createCommit(
    proposal: Proposal,
    actions: readonly CommitAction[],
    startAtBase: boolean,
  ): Promise<string | undefined> {
    const response = await this.send<{ id?: unknown }>(`commit on ${proposal.branch}`, {
      method: 'POST',
      path: `${this.projectPath}/repository/commits`,
      body: {
        branch: proposal.branch,
        ...(startAtBase ? { start_sha: proposal.baseCommitId } : {}),
        commit_message: proposal.commitMessage,
        actions,
        author_name: PROPOSER_AUTHOR,
        author_email: this.options.authorEmail ?? 'driftless@localhost',
      },
      expect: [400],
    });
    if (response.status === 400) {
      const message = gitLabMessage(response.body);
      if (startAtBase && /already exists/i.test(message) && /branch/i.test(message)) return undefined;
      throw new TerminalError(`GitLab commit on ${this.where(proposal.branch)} refused: ${message}`);
    }
    if (typeof response.body?.id !== 'string') {
      throw new TerminalError(`GitLab commit on ${this.where(proposal.branch)} returned no commit id`);
    }
    return response.body.id;
  }

  /** The merge request's iid, or undefined when one is open for the branch already. */
  private async openMergeRequest(proposal: Proposal): Promise<number | undefined> {
    const response = await this.send<{ iid?: unknown }>(`merge request from ${proposal.branch}`, {
      method: 'POST',
      path: `${this.projectPath}/merge_requests`,
      body: {
        source_branch: proposal.branch,
        target_branch: proposal.targetBranch,
        title: proposal.title.slice(0, MAX_TITLE_LENGTH),
        description: proposal.description,
        remove_source_branch: true,
      },
      expect: [409],
    });
    if (response.status === 409) return undefined;
    if (typeof response.body?.iid !== 'number') {
      throw new TerminalError(`GitLab merge request from ${this.where(proposal.branch)} returned no iid`);
    }
    return response.body.iid;
  }

  private async openMergeRequestOf(proposal: Proposal): Promise<number | undefined> {
    const response = await this.send<{ iid?: unknown }[]>(`merge requests from ${proposal.branch}`, {
      path: `${this.projectPath}/merge_requests`,
      query: { state: 'opened', source_branch: proposal.branch, target_branch: proposal.targetBranch },
    });
    const iid = Array.isArray(response.body) ? response.body[0]?.iid : undefined;
    return typeof iid === 'number' ? iid : undefined;
  }

  private async branchHead(branch: string): Promise<string | undefined> {
    const response = await this.send<{ commit?: { id?: unknown } }>(`branch ${branch}`, {
      path: `${this.projectPath}/repository/branches/${encodeURIComponent(branch)}`,
      expect: [404],
    });
    if (response.status === 404) return undefined;
    const id = response.body?.commit?.id;
    if (typeof id !== 'string') throw new TerminalError(`GitLab branch ${this.where(branch)} has no commit id`);
    return id;
  }

  private async isOurCommitOn(commitId: string, baseCommitId: string): Promise<boolean> {
    const { body } = await this.send<{ parent_ids?: unknown; author_name?: unknown }>(`commit ${commitId}`, {
      path: `${this.projectPath}/repository/commits/${commitId}`,
    });
    const parents = Array.isArray(body?.parent_ids) ? body.parent_ids : [];
    return parents.length === 1 && parents[0] === baseCommitId && body?.author_name === PROPOSER_AUTHOR;
  }

  private async send<T>(what: string, request: RestRequest): Promise<RestResponse<T>> {
    try {
      return await this.client.request<T>(request);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const message = `GitLab ${what} in ${this.options.project} failed: ${reason}`;
      throw error instanceof RetryableError
        ? new RetryableError(message, { cause: error })
        : new TerminalError(message, { cause: error });
    }
  }

  private where(branch: string): string {
    return `${this.options.project}@${branch}`;
  }
}
