/**
 * The port driftless writes back to Git through: a change proposed as a commit on a new branch and a pull request
 * into the tracked branch, never merged by driftless. Used by drift adoption (`sync.drift: adopt`) and by rollback
 * write-back (a deployment rolled back, or `driftless rollback`). Implementations: CodeCommit (CreateBranch,
 * CreateCommit, CreatePullRequest) and a local git repository (a branch and a commit; the "pull request" is the
 * branch, for the CLI and the demo).
 */

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
      /** A new branch, commit and pull request. */
      readonly status: 'opened';
      readonly branch: string;
      readonly commitId: string;
      /** CodeCommit's pull request id; absent for a local repository, where the branch is the proposal. */
      readonly pullRequestId?: string;
    }
  | {
      /** The branch exists already: this proposal was made before (a repeated sweep or event); nothing was written. */
      readonly status: 'exists';
      readonly branch: string;
    };

export interface ChangeProposer {
  propose(proposal: Proposal): Promise<ProposalResult>;
}
