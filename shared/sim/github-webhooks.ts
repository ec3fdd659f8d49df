/** The webhook deliveries the fake GitHub (shared/sim/github-server.ts) would send for what happened in its repository:
 * `push`, `pull_request` and `check_run` payloads with the fields GitHub documents, and the headers of a delivery, signed
 * (X-Hub-Signature-256) here with node:crypto rather than by the receiver's own code, so a test checks one against
 * the other. */
import { createHmac, randomUUID } from 'node:crypto';
import type { FakeGitHubState } from './github-http.ts';
import type { CommitObject } from './github-model.ts';

/** A delivery as a Lambda function URL hands it over: header names lower-cased, the body as sent. */
export interface GitHubDelivery {
  readonly method: 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** X-GitHub-Delivery. */
  readonly deliveryId: string;
}

export interface GitHubSender {
  readonly login: string;
  readonly name?: string;
  readonly email?: string;
}

/** The headers GitHub sends with a webhook, the body signed with the webhook's secret. */
export function gitHubDelivery(
  event: 'push' | 'pull_request' | 'check_run' | 'check_suite' | 'ping',
  payload: Readonly<Record<string, unknown>>,
  secret: string,
  options: { readonly deliveryId?: string; readonly appId?: number; readonly hookId?: number } = {},
): GitHubDelivery {
  const body = JSON.stringify(payload);
  const deliveryId = options.deliveryId ?? randomUUID();
  return {
    method: 'POST',
    body,
    deliveryId,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/6f1e2d3',
      'x-github-event': event,
      'x-github-delivery': deliveryId,
      'x-github-hook-id': String(options.hookId ?? 510_204),
      'x-github-hook-installation-target-type': 'integration',
      'x-github-hook-installation-target-id': String(options.appId ?? 1),
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`,
    },
  };
}

/** Opens a pull request in the fake, numbered as its POST /pulls numbers them, and answers its number. */
export function openPullRequest(state: FakeGitHubState, head: string, base: string, title: string): number {
  const number = state.repository.pulls.length + 1;
  state.repository.pulls.push({ number, title, body: '', head, base, state: 'open' });
  return number;
}

/** The `push` payload of moving `branch` from `before` to `after` (all zeros before: the branch was created). */
export function pushPayload(
  state: FakeGitHubState,
  push: { readonly branch: string; readonly before: string; readonly after: string; readonly sender: GitHubSender },
): Record<string, unknown> {
  const { repository: model } = state;
  const pushed = commitsBetween(state, push.before, push.after);
  const repository = repositoryJson(state);
  const url = `https://github.com/${state.owner}/${state.repo}`;
  return {
    ref: `refs/heads/${push.branch}`,
    before: push.before,
    after: push.after,
    repository: { ...repository, pushed_at: Math.floor(Date.now() / 1000) },
    pusher: { name: push.sender.name ?? push.sender.login, email: push.sender.email ?? null },
    sender: userJson(push.sender.login),
    installation: { id: state.installationId, node_id: `MDIz${state.installationId}` },
    created: /^0+$/.test(push.before),
    deleted: false,
    // A push whose new head does not descend from the old one rewrote history.
    forced: !/^0+$/.test(push.before) && !model.ancestors(push.after).has(push.before),
    base_ref: null,
    compare: `${url}/compare/${push.before.slice(0, 12)}...${push.after.slice(0, 12)}`,
    commits: pushed.map((commit) => commitJson(state, commit)),
    head_commit: pushed.length > 0 ? commitJson(state, pushed[pushed.length - 1] as CommitObject) : null,
  };
}

/** The `pull_request` payload of `action` on pull request `number` as the fake holds it now. */
export function pullRequestPayload(
  state: FakeGitHubState,
  event: {
    readonly action: 'opened' | 'synchronize' | 'reopened' | 'closed' | 'edited';
    readonly number: number;
    readonly sender: GitHubSender;
    /** synchronize: the head before the push. */
    readonly before?: string;
    /** edited: the base branch the pull request was re-targeted from. */
    readonly previousBase?: string;
  },
): Record<string, unknown> {
  const pull = state.repository.pulls.find((candidate) => candidate.number === event.number);
  if (!pull) throw new Error(`the fake GitHub has no pull request ${event.number}`);
  const repository = repositoryJson(state);
  const side = (ref: string) => ({
    label: `${state.owner}:${ref}`,
    ref,
    sha: state.repository.branches.get(ref) ?? null,
    user: repository.owner,
    repo: repository,
  });
  const head = side(pull.head);
  return {
    action: event.action,
    number: pull.number,
    ...(event.action === 'synchronize' ? { before: event.before ?? null, after: head.sha } : {}),
    ...(event.previousBase
      ? {
          changes: {
            base: {
              ref: { from: event.previousBase },
              sha: { from: state.repository.branches.get(event.previousBase) },
            },
          },
        }
      : {}),
    pull_request: {
      url: `${repository.url}/pulls/${pull.number}`,
      id: pull.number * 10,
      node_id: `PR_${pull.number}`,
      html_url: `${repository.html_url}/pull/${pull.number}`,
      number: pull.number,
      state: pull.state,
      locked: false,
      title: pull.title,
      body: pull.body,
      user: userJson(event.sender.login),
      draft: false,
      merged: false,
      head,
      base: side(pull.base),
      author_association: 'MEMBER',
    },
    repository,
    sender: userJson(event.sender.login),
    installation: { id: state.installationId, node_id: `MDIz${state.installationId}` },
  };
}

/** The `check_run` payload of someone pressing "Re-run" on check run `checkRunId`, created by App `appId`. Like
 * GitHub, it lists the open pull requests whose head branch holds the run's commit (none for a fork's branch). */
export function checkRunRerequestedPayload(
  state: FakeGitHubState,
  event: { readonly checkRunId: number; readonly appId: number; readonly sender: GitHubSender },
): Record<string, unknown> {
  const { repository: model } = state;
  const run = model.checkRuns.find((candidate) => candidate.id === event.checkRunId);
  if (!run) throw new Error(`the fake GitHub has no check run ${event.checkRunId}`);
  const repository = repositoryJson(state);
  const repo = { id: repository.id, url: repository.url, name: repository.name };
  const side = (ref: string) => ({ ref, sha: model.branches.get(ref) ?? null, repo });
  const pulls = model.pulls.filter(
    (pull) => pull.state === 'open' && model.ancestors(model.branches.get(pull.head) ?? '').has(run.headSha),
  );
  const pullRequests = pulls.map((pull) => ({
    url: `${repository.url}/pulls/${pull.number}`,
    id: pull.number * 10,
    number: pull.number,
    head: side(pull.head),
    base: side(pull.base),
  }));
  const app = { id: event.appId, slug: 'driftless', node_id: `A_${event.appId}`, name: 'driftless' };
  const headBranch = pulls[0]?.head ?? null;
  return {
    action: 'rerequested',
    check_run: {
      id: run.id,
      node_id: `CR_${run.id}`,
      head_sha: run.headSha,
      external_id: '',
      url: `${repository.url}/check-runs/${run.id}`,
      html_url: `${repository.html_url}/runs/${run.id}`,
      status: run.status,
      conclusion: run.conclusion,
      output: { title: run.output.title, summary: run.output.summary, annotations_count: run.annotations.length },
      name: run.name,
      check_suite: {
        id: 1,
        head_branch: headBranch,
        head_sha: run.headSha,
        status: 'completed',
        conclusion: run.conclusion,
        pull_requests: pullRequests,
        app,
      },
      app,
      pull_requests: pullRequests,
    },
    repository,
    sender: userJson(event.sender.login),
    installation: { id: state.installationId, node_id: `MDIz${state.installationId}` },
  };
}

/** The commits a push brought, oldest first: the first parents from `after` back to `before`. */
function commitsBetween(state: FakeGitHubState, before: string, after: string): CommitObject[] {
  const commits: CommitObject[] = [];
  const known = state.repository.ancestors(before);
  for (let sha: string | undefined = after; sha && !known.has(sha); ) {
    const commit = state.repository.commitOf(sha);
    commits.unshift(commit);
    sha = commit.parents[0];
  }
  return commits;
}

function commitJson(state: FakeGitHubState, commit: CommitObject): Record<string, unknown> {
  const { repository: model } = state;
  const parent = commit.parents[0];
  const changes = model.diff(parent ? model.commitOf(parent).tree : undefined, commit.tree);
  const paths = (...statuses: string[]) =>
    changes.filter((change) => statuses.includes(change.status)).map((change) => change.filename);
  return {
    id: commit.sha,
    tree_id: commit.tree,
    distinct: true,
    message: commit.message,
    timestamp: commit.committer.date,
    url: `https://github.com/${state.owner}/${state.repo}/commit/${commit.sha}`,
    author: { name: commit.author.name, email: commit.author.email },
    committer: { name: commit.committer.name, email: commit.committer.email },
    added: paths('added', 'renamed'),
    removed: paths('removed'),
    modified: paths('modified'),
  };
}

function repositoryJson(state: FakeGitHubState) {
  const fullName = `${state.owner}/${state.repo}`;
  return {
    id: 812_345,
    node_id: 'R_kgDOLmN0pQ',
    name: state.repo,
    full_name: fullName,
    private: true,
    owner: { login: state.owner, id: 7, type: 'Organization' },
    html_url: `https://github.com/${fullName}`,
    url: `https://api.github.com/repos/${fullName}`,
    default_branch: 'main',
    visibility: 'private',
  };
}

function userJson(login: string) {
  return { login, id: 5_000 + login.length, node_id: `U_${login}`, type: 'User', site_admin: false };
}
