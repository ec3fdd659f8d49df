/** Where a CLI command reads and proposes when the configuration repository is hosted rather than a local clone:
 * CodeCommit (`--codecommit`), GitHub (`--github owner/name`, token in GITHUB_TOKEN) or GitLab (`--gitlab group/project`,
 * token in GITLAB_TOKEN, `--gitlab-url` for self-managed). Tokens come from the environment only, never from a flag,
 * so they stay out of shell history and process listings. */
import type { CodeCommitClient } from '@aws-sdk/client-codecommit';
import { ConfigurationError } from '../shared/errors.ts';
import { CodeCommitGitSource } from '../shared/source/codecommit.ts';
import type { GitSource } from '../shared/source/git-source.ts';
import { GitHubGitSource } from '../shared/source/github.ts';
import { StaticGitHubToken } from '../shared/source/github-auth.ts';
import { GitLabGitSource } from '../shared/source/gitlab.ts';
import { CodeCommitProposer } from '../shared/writeback/codecommit-proposer.ts';
import { GitHubProposer } from '../shared/writeback/github-proposer.ts';
import { GitLabProposer } from '../shared/writeback/gitlab-proposer.ts';
import type { ChangeProposer } from '../shared/writeback/proposals.ts';

export interface HostOptions {
  readonly codecommit?: string;
  readonly github?: string;
  readonly gitlab?: string;
  readonly gitlabUrl?: string;
  /** GitHub Enterprise Server's API, e.g. https://github.example.com/api/v3. */
  readonly githubApiUrl?: string;
}

export interface HostedRepository {
  readonly source: GitSource;
  readonly proposer: ChangeProposer;
  /** What the proposal is called on that host. */
  readonly proposalNoun: 'pull request' | 'merge request';
}

const GITHUB_REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const GITLAB_PROJECT = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/;

/** The hosted repository the options name, or undefined for a local clone; refuses two hosts at once and a missing
 * token with a message that says what to set. */
export function hostedRepository(
  options: HostOptions,
  codeCommit: () => CodeCommitClient,
  env: NodeJS.ProcessEnv = process.env,
): HostedRepository | undefined {
  const named = [options.codecommit && '--codecommit', options.github && '--github', options.gitlab && '--gitlab'];
  const hosts = named.filter(Boolean);
  if (hosts.length > 1) throw new ConfigurationError(`name one host, not ${hosts.join(' and ')}`);
  if (options.codecommit) {
    const client = codeCommit();
    return {
      source: new CodeCommitGitSource({ repositoryName: options.codecommit, client }),
      proposer: new CodeCommitProposer({ repositoryName: options.codecommit, client }),
      proposalNoun: 'pull request',
    };
  }
  if (options.github) {
    if (!GITHUB_REPOSITORY.test(options.github)) {
      throw new ConfigurationError(`--github ${options.github}: write the repository as owner/name`);
    }
    const token = env.GITHUB_TOKEN;
    if (!token) {
      throw new ConfigurationError(
        '--github needs a token in GITHUB_TOKEN (a fine-grained token with contents and pull requests: read and write)',
      );
    }
    const [owner = '', repo = ''] = options.github.split('/');
    const settings = {
      owner,
      repo,
      auth: new StaticGitHubToken(token),
      ...(options.githubApiUrl ? { apiUrl: options.githubApiUrl } : {}),
    };
    return {
      source: new GitHubGitSource(settings),
      proposer: new GitHubProposer(settings),
      proposalNoun: 'pull request',
    };
  }
  if (options.gitlab) {
    if (!GITLAB_PROJECT.test(options.gitlab)) {
      throw new ConfigurationError(`--gitlab ${options.gitlab}: write the project path, e.g. group/platform-config`);
    }
    const token = env.GITLAB_TOKEN;
    if (!token) {
      throw new ConfigurationError(
        '--gitlab needs a token in GITLAB_TOKEN (a project access token with the api scope)',
      );
    }
    const settings = {
      project: options.gitlab,
      token: async () => token,
      ...(options.gitlabUrl ? { baseUrl: options.gitlabUrl } : {}),
    };
    return {
      source: new GitLabGitSource(settings),
      proposer: new GitLabProposer(settings),
      proposalNoun: 'merge request',
    };
  }
  return undefined;
}
