/** What a verified GitHub or GitLab webhook asks of driftless, read from its payload into a small host-neutral
 * message: a push to the tracked branch, or a pull (merge) request into it opened, updated, reopened or re-targeted
 * onto it, or (GitHub) whose "driftless plan" check was re-run. Everything else (another repository or branch, a
 * deleted branch, a fork's pull request, other events) is ignored with a reason. The message is what the receiver
 * queues and the worker reads (functions/webhook-worker.ts). */
// Named imports, not the `z` namespace: they let the Lambda bundles leave out zod's locales and JSON Schema code.
import { array, boolean, enum as enumOf, literal, nullable, number, object, string, union, type z } from 'zod';

export type WebhookHost = 'github' | 'gitlab';

/** A Git commit id: SHA-1, or SHA-256 for repositories that use it. */
const commitId = string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, 'a full commit id');
/** Delivery ids become part of a DynamoDB key: letters, digits and a few separators only. */
export const DELIVERY_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const pushMessage = object({
  kind: literal('push'),
  host: enumOf(['github', 'gitlab']),
  repository: string().min(1),
  branch: string().min(1),
  /** The branch head before the push (all zeros when the push created the branch). */
  before: commitId,
  after: commitId,
  /** The host's user who pushed, as `<host>:<login>`. */
  pushedBy: string().optional(),
  /** GitHub says when history was rewritten: the push then scopes from nothing and reconciles everything. */
  forced: boolean().optional(),
  deliveryId: string().regex(DELIVERY_ID),
});

const pullRequestMessage = object({
  kind: literal('pull-request'),
  host: enumOf(['github', 'gitlab']),
  repository: string().min(1),
  number: number().int().positive(),
  sourceBranch: string().min(1),
  targetBranch: string().min(1),
  headSha: commitId,
  /** GitLab's merge request hook does not name the target's head: the worker reads it. */
  baseSha: commitId.optional(),
  deliveryId: string().regex(DELIVERY_ID),
});

const webhookMessage = union([pushMessage, pullRequestMessage]);

export type PushMessage = z.output<typeof pushMessage>;
export type PullRequestMessage = z.output<typeof pullRequestMessage>;
export type WebhookMessage = z.output<typeof webhookMessage>;

export type WebhookReading =
  | { readonly kind: 'message'; readonly message: WebhookMessage }
  | { readonly kind: 'ping' }
  | { readonly kind: 'ignored'; readonly reason: string };

/** The repository and branch this installation tracks. */
export interface TrackedBranch {
  /** GitHub's owner/name, or GitLab's project path. */
  readonly repository: string;
  readonly branch: string;
  /** GitHub: the App whose check runs and suites are driftless's; unset, the check run's name alone decides. */
  readonly appId?: number;
}

/** The name GitHubPlanReporter gives its check runs (shared/writeback/github-plan-reporter.ts), repeated here so the
 * receiver's bundle does not carry the reporter and its REST client; a test holds the two equal. */
export const GITHUB_PLAN_CHECK_NAME = 'driftless plan';

/** Reads a queued message; one that is not JSON or not a webhook message is refused with the reason. */
export function parseWebhookMessage(
  body: string,
): { readonly ok: true; readonly message: WebhookMessage } | { readonly ok: false; readonly reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'the body is not JSON' };
  }
  const parsed = webhookMessage.safeParse(json);
  return parsed.success ? { ok: true, message: parsed.data } : { ok: false, reason: problemsOf(parsed.error) };
}

// ------------------------------------------------------------------------------------------------------------ GitHub

const githubRepository = object({ full_name: string() });

const githubPush = object({
  ref: string(),
  before: commitId,
  after: commitId,
  deleted: boolean().optional(),
  forced: boolean().optional(),
  repository: githubRepository,
  sender: object({ login: string() }).optional(),
  pusher: object({ name: string() }).optional(),
});

const githubPullRequest = object({
  action: string(),
  number: number().int().positive(),
  repository: githubRepository,
  pull_request: object({
    head: object({ ref: string(), sha: commitId, repo: nullable(githubRepository) }),
    base: object({ ref: string(), sha: commitId }),
  }),
  /** `edited`: what was edited; `base` when the pull request was re-targeted (its ref and sha are the old base's). */
  changes: object({ base: object({ ref: object({ from: string() }) }).optional() }).optional(),
});

/** GitHub's pull request actions that change what merging would do (`edited` only when the base changed). */
const GITHUB_PLANNED_ACTIONS = new Set(['opened', 'synchronize', 'reopened']);

/** A pull request as a check run or suite lists it: its repositories by id only. */
const githubCheckPullRequest = object({
  number: number().int().positive(),
  head: object({ ref: string(), sha: commitId, repo: object({ id: number() }) }),
  base: object({ ref: string(), sha: commitId, repo: object({ id: number() }) }),
});

const githubApp = nullable(object({ id: number() })).optional();

const githubCheckRun = object({
  action: string(),
  repository: githubRepository,
  check_run: object({
    name: string(),
    head_sha: commitId,
    app: githubApp,
    pull_requests: array(githubCheckPullRequest),
  }),
});

const githubCheckSuite = object({
  action: string(),
  repository: githubRepository,
  check_suite: object({ head_sha: commitId, app: githubApp, pull_requests: array(githubCheckPullRequest) }),
});

/** Reads a GitHub delivery by its X-GitHub-Event. */
export function readGitHubEvent(
  event: string,
  payload: unknown,
  tracked: TrackedBranch,
  deliveryId: string,
): WebhookReading {
  if (event === 'ping') return { kind: 'ping' };
  if (event === 'push') {
    const parsed = githubPush.safeParse(payload);
    if (!parsed.success) return { kind: 'ignored', reason: `not a push payload: ${problemsOf(parsed.error)}` };
    const push = parsed.data;
    const reason =
      otherRepository(push.repository.full_name, tracked) ?? otherBranch(push.ref, tracked, 'push to') ?? undefined;
    if (reason) return { kind: 'ignored', reason };
    if (push.deleted) return deletedBranch(tracked);
    const login = push.sender?.login ?? push.pusher?.name;
    return {
      kind: 'message',
      message: {
        kind: 'push',
        host: 'github',
        repository: push.repository.full_name,
        branch: tracked.branch,
        before: push.before,
        after: push.after,
        ...(login ? { pushedBy: `github:${login}` } : {}),
        ...(push.forced ? { forced: true } : {}),
        deliveryId,
      },
    };
  }
  if (event === 'pull_request') {
    const parsed = githubPullRequest.safeParse(payload);
    if (!parsed.success) return { kind: 'ignored', reason: `not a pull_request payload: ${problemsOf(parsed.error)}` };
    const { action, number, repository, pull_request: pr, changes } = parsed.data;
    // A pull request re-targeted onto the tracked branch would now merge there: it is planned as if just opened.
    const retargeted = action === 'edited' && changes?.base !== undefined;
    const reason =
      otherRepository(repository.full_name, tracked) ??
      otherBranch(`refs/heads/${pr.base.ref}`, tracked, 'pull request into') ??
      (GITHUB_PLANNED_ACTIONS.has(action) || retargeted
        ? undefined
        : `action ${action} does not change what would be merged`) ??
      fork(pr.head.repo?.full_name, tracked);
    if (reason) return { kind: 'ignored', reason };
    return {
      kind: 'message',
      message: {
        kind: 'pull-request',
        host: 'github',
        repository: repository.full_name,
        number,
        sourceBranch: pr.head.ref,
        targetBranch: pr.base.ref,
        headSha: pr.head.sha,
        baseSha: pr.base.sha,
        deliveryId,
      },
    };
  }
  if (event === 'check_run') {
    const parsed = githubCheckRun.safeParse(payload);
    if (!parsed.success) return { kind: 'ignored', reason: `not a check_run payload: ${problemsOf(parsed.error)}` };
    const { action, repository, check_run: run } = parsed.data;
    const reason =
      rerunRequest(action, 'check run') ??
      (run.name === GITHUB_PLAN_CHECK_NAME ? undefined : `check run ${run.name} is not driftless's`) ??
      otherApp(run.app, tracked, 'check run');
    return reason ? { kind: 'ignored', reason } : rerun(repository.full_name, run.pull_requests, tracked, deliveryId);
  }
  if (event === 'check_suite') {
    const parsed = githubCheckSuite.safeParse(payload);
    if (!parsed.success) return { kind: 'ignored', reason: `not a check_suite payload: ${problemsOf(parsed.error)}` };
    const { action, repository, check_suite: suite } = parsed.data;
    // A suite has no name: without the App's id, whose it is cannot be told.
    const reason =
      rerunRequest(action, 'check suite') ??
      (tracked.appId === undefined ? 'check suites are read only when the GitHub App id is known' : undefined) ??
      otherApp(suite.app, tracked, 'check suite');
    return reason ? { kind: 'ignored', reason } : rerun(repository.full_name, suite.pull_requests, tracked, deliveryId);
  }
  return { kind: 'ignored', reason: `event ${event} is not one driftless acts on` };
}

function rerunRequest(action: string, what: string): string | undefined {
  return action === 'rerequested' ? undefined : `${what} action ${action} asks for no plan`;
}

/** GitHub delivers other Apps' check suites (GitHub Actions') to every App that may write checks: the id decides. */
function otherApp(app: { id: number } | null | undefined, tracked: TrackedBranch, what: string): string | undefined {
  return tracked.appId === undefined || app?.id === tracked.appId
    ? undefined
    : `the ${what} belongs to another GitHub App (${app?.id ?? 'none'}), not driftless's (${tracked.appId})`;
}

/**
 * "Re-run" on the plan check: plans again, as `synchronize` does, the pull request of the run's head branch into the
 * tracked branch. GitHub lists the pull requests whose head branch is the run's; it allows one open pull request per
 * head and base, so at most one of them is into the tracked branch. A fork's branch lists none.
 */
function rerun(
  repository: string,
  pulls: readonly z.output<typeof githubCheckPullRequest>[],
  tracked: TrackedBranch,
  deliveryId: string,
): WebhookReading {
  const other = otherRepository(repository, tracked);
  if (other) return { kind: 'ignored', reason: other };
  const pull = pulls.find((candidate) => candidate.base.ref === tracked.branch);
  if (!pull) {
    const bases = [...new Set(pulls.map((candidate) => candidate.base.ref))];
    return {
      kind: 'ignored',
      reason:
        bases.length === 0
          ? "the re-run names no pull request (its branch has none open, or is a fork's)"
          : `the re-run's pull requests are into ${bases.join(', ')}, not the tracked branch ${tracked.branch}`,
    };
  }
  if (pull.head.repo.id !== pull.base.repo.id) return { kind: 'ignored', reason: FORK };
  return {
    kind: 'message',
    message: {
      kind: 'pull-request',
      host: 'github',
      repository,
      number: pull.number,
      sourceBranch: pull.head.ref,
      targetBranch: pull.base.ref,
      headSha: pull.head.sha,
      baseSha: pull.base.sha,
      deliveryId,
    },
  };
}

// ------------------------------------------------------------------------------------------------------------ GitLab

const gitlabProject = object({ path_with_namespace: string() });

const gitlabPush = object({
  object_kind: literal('push'),
  ref: string(),
  before: commitId,
  after: commitId,
  user_username: string().optional(),
  project: gitlabProject,
});

const gitlabMergeRequest = object({
  object_kind: literal('merge_request'),
  project: gitlabProject,
  object_attributes: object({
    iid: number().int().positive(),
    action: string().optional(),
    source_branch: string(),
    target_branch: string(),
    source_project_id: number().optional(),
    target_project_id: number().optional(),
    last_commit: object({ id: commitId }),
  }),
});

/** GitLab's merge request actions that can change what merging would do. */
const GITLAB_PLANNED_ACTIONS = new Set(['open', 'update', 'reopen']);

/** Reads a GitLab delivery by its X-Gitlab-Event. */
export function readGitLabEvent(
  event: string,
  payload: unknown,
  tracked: TrackedBranch,
  deliveryId: string,
): WebhookReading {
  if (event === 'Push Hook') {
    const parsed = gitlabPush.safeParse(payload);
    if (!parsed.success) return { kind: 'ignored', reason: `not a push hook payload: ${problemsOf(parsed.error)}` };
    const push = parsed.data;
    const reason =
      otherRepository(push.project.path_with_namespace, tracked) ?? otherBranch(push.ref, tracked, 'push to');
    if (reason) return { kind: 'ignored', reason };
    // GitLab announces a deleted branch as a push whose new head is all zeros.
    if (/^0+$/.test(push.after)) return deletedBranch(tracked);
    return {
      kind: 'message',
      message: {
        kind: 'push',
        host: 'gitlab',
        repository: push.project.path_with_namespace,
        branch: tracked.branch,
        before: push.before,
        after: push.after,
        ...(push.user_username ? { pushedBy: `gitlab:${push.user_username}` } : {}),
        deliveryId,
      },
    };
  }
  if (event === 'Merge Request Hook') {
    const parsed = gitlabMergeRequest.safeParse(payload);
    if (!parsed.success) {
      return { kind: 'ignored', reason: `not a merge request hook payload: ${problemsOf(parsed.error)}` };
    }
    const { project, object_attributes: mr } = parsed.data;
    const action = mr.action ?? '(none)';
    const reason =
      otherRepository(project.path_with_namespace, tracked) ??
      otherBranch(`refs/heads/${mr.target_branch}`, tracked, 'merge request into') ??
      (GITLAB_PLANNED_ACTIONS.has(action) ? undefined : `action ${action} does not change what would be merged`) ??
      (mr.source_project_id !== undefined && mr.source_project_id !== mr.target_project_id
        ? 'the merge request comes from a fork: driftless plans only branches of the project itself'
        : undefined);
    if (reason) return { kind: 'ignored', reason };
    return {
      kind: 'message',
      message: {
        kind: 'pull-request',
        host: 'gitlab',
        repository: project.path_with_namespace,
        number: mr.iid,
        sourceBranch: mr.source_branch,
        targetBranch: mr.target_branch,
        headSha: mr.last_commit.id,
        deliveryId,
      },
    };
  }
  return { kind: 'ignored', reason: `event ${event} is not one driftless acts on` };
}

// ------------------------------------------------------------------------------------------------------------ shared

/** Both hosts treat repository paths case-insensitively. */
function otherRepository(repository: string, tracked: TrackedBranch): string | undefined {
  return repository.toLowerCase() === tracked.repository.toLowerCase()
    ? undefined
    : `repository ${repository} is not the tracked repository ${tracked.repository}`;
}

function otherBranch(ref: string, tracked: TrackedBranch, what: string): string | undefined {
  return ref === `refs/heads/${tracked.branch}`
    ? undefined
    : `${what} ${ref}, not the tracked branch ${tracked.branch}`;
}

/** A fork's pull request is written by anyone who can fork: its plan would show them live state. */
function fork(headRepository: string | undefined, tracked: TrackedBranch): string | undefined {
  return headRepository?.toLowerCase() === tracked.repository.toLowerCase() ? undefined : FORK;
}

const FORK = 'the pull request comes from a fork: driftless plans only branches of the repository itself';

function deletedBranch(tracked: TrackedBranch): WebhookReading {
  return {
    kind: 'ignored',
    reason: `the tracked branch ${tracked.branch} was deleted; resources are left as they are`,
  };
}

function problemsOf(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`)
    .join('; ');
}
