/** PLACEHOLDER (issue 16, webhook branch): the GitHub App installation token; the real module replaces this file. */
import { TerminalError } from '../errors.ts';

export interface GitHubAppAuthOptions {
  readonly appId: number;
  readonly privateKey: () => Promise<string>;
  readonly installationId?: number;
  readonly owner: string;
  readonly repo: string;
  readonly apiUrl?: string;
  readonly fetch?: typeof fetch;
}

export class GitHubAppAuth {
  constructor(readonly options: GitHubAppAuthOptions) {}

  async token(): Promise<string> {
    throw new TerminalError('not built yet');
  }
}
