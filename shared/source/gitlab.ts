/** PLACEHOLDER (issue 16, webhook branch): the GitLab GitSource; the real module replaces this file. */
import { TerminalError } from '../errors.ts';
import type { CommitInfo, FileChange, FileEntry, GitSource } from './git-source.ts';

export interface GitLabGitSourceOptions {
  readonly project: string;
  readonly baseUrl?: string;
  readonly token: () => Promise<string>;
  readonly fetch?: typeof fetch;
}

export class GitLabGitSource implements GitSource {
  readonly description: string;

  constructor(readonly options: GitLabGitSourceOptions) {
    this.description = `GitLab project ${options.project}`;
  }

  async resolveRef(_ref: string): Promise<string> {
    throw new TerminalError('not built yet');
  }

  async listFiles(_commitId: string, _prefix: string): Promise<FileEntry[]> {
    throw new TerminalError('not built yet');
  }

  async readFile(_commitId: string, _path: string): Promise<Uint8Array> {
    throw new TerminalError('not built yet');
  }

  async changedFiles(_from: string, _to: string, _prefix?: string): Promise<FileChange[]> {
    throw new TerminalError('not built yet');
  }

  async commitInfo(_commitId: string): Promise<CommitInfo> {
    throw new TerminalError('not built yet');
  }
}
