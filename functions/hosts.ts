/** The one place the functions choose the configuration repository's host: the GitSource, ChangeProposer and
 * PlanReporter for CodeCommit, a GitHub App installation or a GitLab project, from the environment. A Lambda bundle is
 * built for its deployment's host (infra/bundling.ts defines process.env.DRIFTLESS_BUNDLED_HOST), and each branch
 * below compares that expression itself so esbuild drops the other hosts' adapters and SDK clients. */
import type { CodeCommitClient } from '@aws-sdk/client-codecommit';
import { ConfigurationError } from '../shared/errors.ts';
import { CodeCommitGitSource } from '../shared/source/codecommit.ts';
import type { GitSource } from '../shared/source/git-source.ts';
import { GitHubGitSource } from '../shared/source/github.ts';
import { GitHubAppAuth } from '../shared/source/github-auth.ts';
import { GitLabGitSource } from '../shared/source/gitlab.ts';
import { CodeCommitPlanReporter } from '../shared/writeback/codecommit-plan-reporter.ts';
import { CodeCommitProposer } from '../shared/writeback/codecommit-proposer.ts';
import { GitHubPlanReporter } from '../shared/writeback/github-plan-reporter.ts';
import { GitHubProposer } from '../shared/writeback/github-proposer.ts';
import { GitLabPlanReporter } from '../shared/writeback/gitlab-plan-reporter.ts';
import { GitLabProposer } from '../shared/writeback/gitlab-proposer.ts';
import type { PlanReporter } from '../shared/writeback/plan-reporter.ts';
import type { ChangeProposer } from '../shared/writeback/proposals.ts';
import type { FunctionEnvironment } from './environment.ts';

export interface HostAdapters {
  readonly source: GitSource;
  readonly proposer: ChangeProposer;
  readonly planReporter: PlanReporter;
}

export interface HostConnections {
  /** CodeCommit's client: required with a CodeCommit source, absent from bundles built for another host. */
  readonly codeCommit?: CodeCommitClient;
  /** A secret's text by ARN, read once per warm function (functions/secrets.ts). */
  readonly secret: (secretArn: string) => () => Promise<string>;
  /** Injected in tests; the global fetch otherwise. */
  readonly fetch?: typeof fetch;
}

export function hostAdapters(environment: FunctionEnvironment, connections: HostConnections): HostAdapters {
  const source = environment.source ?? 'codecommit';
  const bundledFor = process.env.DRIFTLESS_BUNDLED_HOST;
  if (bundledFor !== undefined && bundledFor !== source) {
    throw new ConfigurationError(`this function was bundled for ${bundledFor} but the source is ${source}`);
  }
  const fetchOption = connections.fetch ? { fetch: connections.fetch } : {};
  if (source === 'github' && (process.env.DRIFTLESS_BUNDLED_HOST ?? 'github') === 'github') {
    const github = environment.github;
    if (!github) throw new ConfigurationError('the source is github but the GitHub App settings are missing');
    const { owner, repo } = github;
    const client = { ...fetchOption, ...(github.apiUrl ? { apiUrl: github.apiUrl } : {}) };
    // One token cache for the three adapters: an installation token is minted once per hour, not once per adapter.
    const auth = new GitHubAppAuth({
      appId: github.appId,
      privateKey: connections.secret(github.privateKeySecretArn),
      owner,
      repo,
      ...client,
    });
    return {
      source: new GitHubGitSource({ owner, repo, auth, ...client }),
      proposer: new GitHubProposer({ owner, repo, auth, ...client }),
      planReporter: new GitHubPlanReporter({ owner, repo, auth, ...client }),
    };
  }
  if (source === 'gitlab' && (process.env.DRIFTLESS_BUNDLED_HOST ?? 'gitlab') === 'gitlab') {
    const gitlab = environment.gitlab;
    if (!gitlab) throw new ConfigurationError('the source is gitlab but the GitLab settings are missing');
    const options = {
      project: gitlab.project,
      baseUrl: gitlab.baseUrl,
      token: connections.secret(gitlab.tokenSecretArn),
      ...fetchOption,
    };
    return {
      source: new GitLabGitSource(options),
      proposer: new GitLabProposer(options),
      planReporter: new GitLabPlanReporter(options),
    };
  }
  if (source === 'codecommit' && (process.env.DRIFTLESS_BUNDLED_HOST ?? 'codecommit') === 'codecommit') {
    if (!connections.codeCommit)
      throw new ConfigurationError('the source is codecommit but no CodeCommit client was given');
    const codeCommit = { repositoryName: environment.repository, client: connections.codeCommit };
    return {
      source: new CodeCommitGitSource(codeCommit),
      proposer: new CodeCommitProposer(codeCommit),
      planReporter: new CodeCommitPlanReporter(codeCommit),
    };
  }
  throw new ConfigurationError(`no adapters for the source ${source}`);
}
