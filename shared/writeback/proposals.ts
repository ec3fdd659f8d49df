/**
 * The port driftless writes back to Git through: a change proposed as a commit on a new branch and a pull request
 * into the tracked branch, never merged by driftless. Used by drift adoption (`sync.drift: adopt`) and by rollback
 * write-back (a deployment rolled back, or `driftless rollback`). Implementations: CodeCommit (CreateBranch,
 * CreateCommit, CreatePullRequest) and a local git repository (a branch and a commit; the "pull request" is the
 * branch, for the CLI and the demo).
 */

import { TerminalError } from '../errors.ts';

/** One file of a proposal: its new text, or null to delete it. Paths are relative to the repository root. */
export interface ProposedFile {
  readonly path: string;
  readonly content: string | null;
}

export interface Proposal {
  /** The branch to create, e.g. `driftless/adopt/web-1a2b3c4d`; deterministic, so the same proposal is made once. */
  readonly branch: string;
  /** The commit the branch starts from (the tracked branch's head that was read). */
  readonly baseCommitId: string;
  /** The branch the pull request targets (the tracked branch). */
  readonly targetBranch: string;
  readonly files: readonly ProposedFile[];
  readonly commitMessage: string;
  readonly title: string;
  readonly description: string;
}

export type ProposalResult =
  | {
      /** A new branch, commit and pull request; or, when an earlier attempt was cut short, the proposal finished
       * (CodeCommit answers a repeated CreatePullRequest token with the pull request it opened first). */
      readonly status: 'opened';
      readonly branch: string;
      readonly commitId: string;
      /** CodeCommit's pull request id; absent for a local repository, where the branch is the proposal. */
      readonly pullRequestId?: string;
    }
  | {
      /** The branch exists already and holds someone else's work, or the proposal was made before (a repeated sweep
       * or event); nothing was written. */
      readonly status: 'exists';
      readonly branch: string;
    };

export interface ChangeProposer {
  propose(proposal: Proposal): Promise<ProposalResult>;
}

/** The name every driftless commit is authored under; a half-made proposal's commit is recognised by it. */
export const PROPOSER_AUTHOR = 'driftless';

/** A proposal that cannot be made as given is a bug in its caller, not something a retry fixes. */
export function checkProposal(proposal: Proposal): void {
  if (proposal.files.length === 0) throw new TerminalError(`proposal ${proposal.branch} changes no file`);
  if (!/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(proposal.baseCommitId)) {
    throw new TerminalError(`proposal ${proposal.branch}: base ${proposal.baseCommitId} is not a full commit id`);
  }
  for (const file of proposal.files) {
    if (file.path === '' || file.path.startsWith('/') || file.path.split('/').includes('..')) {
      throw new TerminalError(`proposal ${proposal.branch}: invalid file path '${file.path}'`);
    }
  }
}
