/** PLACEHOLDER (issue 16, webhook branch): the GitLab ChangeProposer; the real module replaces this file. */
import { TerminalError } from '../errors.ts';
import type { ChangeProposer, Proposal, ProposalResult } from './proposals.ts';

export interface GitLabProposerOptions {
  readonly project: string;
  readonly baseUrl?: string;
  readonly token: () => Promise<string>;
  readonly fetch?: typeof fetch;
}

export class GitLabProposer implements ChangeProposer {
  constructor(readonly options: GitLabProposerOptions) {}

  async propose(_proposal: Proposal): Promise<ProposalResult> {
    throw new TerminalError('not built yet');
  }
}
