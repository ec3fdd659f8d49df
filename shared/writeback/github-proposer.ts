/** PLACEHOLDER (issue 16, webhook branch): the GitHub ChangeProposer; the real module replaces this file. */
import { TerminalError } from '../errors.ts';
import type { ChangeProposer, Proposal, ProposalResult } from './proposals.ts';

export interface GitHubProposerOptions {
  readonly owner: string;
  readonly repo: string;
  readonly auth: { token(): Promise<string> };
  readonly apiUrl?: string;
  readonly fetch?: typeof fetch;
}

export class GitHubProposer implements ChangeProposer {
  constructor(readonly options: GitHubProposerOptions) {}

  async propose(_proposal: Proposal): Promise<ProposalResult> {
    throw new TerminalError('not built yet');
  }
}
