/** The webhook deliveries the fake GitLab (shared/sim/gitlab-server.ts) would send for what happened in its project:
 * `Push Hook` and `Merge Request Hook` payloads with the fields GitLab's webhook reference documents, and the headers
 * of a delivery with the secret token (X-Gitlab-Token) and an Idempotency-Key. */
import { randomUUID } from 'node:crypto';
import type { FakeGitLabProject, FakeGitLabUser } from '../../../shared/sim/gitlab-server.ts';
import type { Delivery } from './webhook-functions.ts';

export type GitLabEvent = 'Push Hook' | 'Merge Request Hook';

/** The headers GitLab sends with a webhook; the secret token goes as it is, GitLab signs nothing. */
export function gitLabDelivery(
  event: GitLabEvent,
  payload: Readonly<Record<string, unknown>>,
  secretToken: string,
  instanceUrl: string,
): Delivery & { readonly idempotencyKey: string } {
  const idempotencyKey = randomUUID();
  return {
    body: JSON.stringify(payload),
    idempotencyKey,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitLab/17.8.1',
      'x-gitlab-event': event,
      'x-gitlab-token': secretToken,
      'x-gitlab-instance': instanceUrl,
      'x-gitlab-webhook-uuid': '0c6b1f0e-8f41-4f4b-9a8e-3d1c2b7a9e55',
      'x-gitlab-event-uuid': randomUUID(),
      'idempotency-key': idempotencyKey,
    },
  };
}

/** The `project` object of a hook payload. */
function projectOf(project: FakeGitLabProject, instanceUrl: string): Record<string, unknown> {
  const webUrl = `${instanceUrl}/${project.path}`;
  const name = project.path.split('/').at(-1) ?? project.path;
  return {
    id: project.id,
    name,
    description: '',
    web_url: webUrl,
    avatar_url: null,
    git_ssh_url: `git@${new URL(instanceUrl).host}:${project.path}.git`,
    git_http_url: `${webUrl}.git`,
    namespace: project.path.split('/').slice(0, -1).join('/'),
    visibility_level: 0,
    path_with_namespace: project.path,
    default_branch: 'main',
  };
}

/** A commit as hook payloads list it: the files it added, changed and removed against its parent. */
function commitOf(project: FakeGitLabProject, id: string, instanceUrl: string): Record<string, unknown> {
  const commit = project.commits.get(id);
  if (!commit) throw new Error(`fake GitLab: no commit ${id}`);
  const parent = commit.parentIds[0] ?? '';
  const diffs = project.diff(parent, id);
  const paths = (kind: string) => diffs.filter((diff) => diff.kind === kind).map((diff) => diff.newPath);
  return {
    id,
    message: commit.message,
    title: commit.message.split('\n')[0],
    timestamp: commit.date,
    url: `${instanceUrl}/${project.path}/-/commit/${id}`,
    author: { name: commit.authorName, email: commit.authorEmail },
    added: [...paths('added'), ...paths('renamed')],
    modified: paths('modified'),
    removed: diffs.filter((diff) => diff.kind === 'deleted' || diff.kind === 'renamed').map((diff) => diff.oldPath),
  };
}

/** The `Push Hook` payload of moving `branch` from `before` to `after`. */
export function gitLabPushPayload(
  project: FakeGitLabProject,
  push: { readonly branch: string; readonly before: string; readonly after: string; readonly user: FakeGitLabUser },
  instanceUrl: string,
): Record<string, unknown> {
  const commits = project.commitsBetween(push.before, push.after).reverse();
  return {
    object_kind: 'push',
    event_name: 'push',
    before: push.before,
    after: push.after,
    ref: `refs/heads/${push.branch}`,
    ref_protected: true,
    checkout_sha: push.after,
    message: null,
    user_id: push.user.id,
    user_name: push.user.name,
    user_username: push.user.username,
    user_email: '',
    project_id: project.id,
    project: projectOf(project, instanceUrl),
    commits: commits.slice(-20).map((commit) => commitOf(project, commit.id, instanceUrl)),
    total_commits_count: commits.length,
  };
}

/** The `Merge Request Hook` payload of merge request `iid` with `action` (open, update, reopen, close, merge…). */
export function gitLabMergeRequestPayload(
  project: FakeGitLabProject,
  event: { readonly iid: number; readonly action: string; readonly user: FakeGitLabUser },
  instanceUrl: string,
): Record<string, unknown> {
  const request = project.mergeRequests.find((candidate) => candidate.iid === event.iid);
  if (!request) throw new Error(`fake GitLab: no merge request !${event.iid}`);
  const head = project.branches.get(request.sourceBranch);
  if (!head) throw new Error(`fake GitLab: no branch ${request.sourceBranch}`);
  const described = projectOf(project, instanceUrl);
  const { added: _added, modified: _modified, removed: _removed, ...lastCommit } = commitOf(project, head, instanceUrl);
  return {
    object_kind: 'merge_request',
    event_type: 'merge_request',
    user: { id: event.user.id, name: event.user.name, username: event.user.username, email: '[REDACTED]' },
    project: described,
    object_attributes: {
      id: request.id,
      iid: request.iid,
      title: request.title,
      description: request.description,
      state: request.state,
      action: event.action,
      source_branch: request.sourceBranch,
      target_branch: request.targetBranch,
      source_project_id: project.id,
      target_project_id: project.id,
      author_id: request.author.id,
      created_at: request.createdAt,
      url: `${instanceUrl}/${project.path}/-/merge_requests/${request.iid}`,
      source: described,
      target: described,
      last_commit: lastCommit,
      draft: false,
      work_in_progress: false,
      merge_status: 'can_be_merged',
      detailed_merge_status: 'mergeable',
    },
    labels: [],
    changes: {},
  };
}
