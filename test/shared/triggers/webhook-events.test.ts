/** GitHub and GitLab payloads read into the host-neutral message the worker runs (pushes, pull requests, re-targeted
 * pull requests, re-runs of the plan check), and everything else ignored with its reason: another repository or
 * branch, a deleted branch, a fork's pull request, an action that changes nothing, another App's check. */
import { describe, expect, it } from 'vitest';
import {
  GITHUB_PLAN_CHECK_NAME,
  parseWebhookMessage,
  readGitHubEvent,
  readGitLabEvent,
} from '../../../shared/triggers/webhook-events.ts';
import { CHECK_RUN_NAME } from '../../../shared/writeback/github-plan-reporter.ts';
import {
  BASE,
  BEFORE,
  githubPullRequest,
  githubPush,
  gitlabMergeRequest,
  gitlabPush,
  HEAD,
  ZERO,
} from './webhook-payloads.ts';

const GITHUB = { repository: 'acme/platform-config', branch: 'main' };
const GITLAB = { repository: 'platform/team/platform-config', branch: 'main' };
const DELIVERY = '72d3162e-cc78-11e3-81ab-4c9367dc0958';
const APP_ID = 318_004;
const GITHUB_APP = { ...GITHUB, appId: APP_ID };

/** A pull request as GitHub lists it in a check run or suite: repositories by id, url and name only. */
function listedPullRequest(
  overrides: { number?: number; head?: Record<string, unknown>; base?: Record<string, unknown> } = {},
): Record<string, unknown> {
  const repo = { id: 35129377, url: 'https://api.github.com/repos/acme/platform-config', name: 'platform-config' };
  const number = overrides.number ?? 42;
  return {
    url: `https://api.github.com/repos/acme/platform-config/pulls/${number}`,
    id: 934_012_000 + number,
    number,
    head: { ref: 'web-1.4.3', sha: HEAD, repo, ...overrides.head },
    base: { ref: 'main', sha: BASE, repo, ...overrides.base },
  };
}

/** The `check_run` payload of "Re-run" pressed on driftless's plan check (GitHub's check_run webhook reference). */
function githubCheckRun(
  overrides: { action?: string; run?: Record<string, unknown>; pullRequests?: unknown[] } = {},
): Record<string, unknown> {
  const app = { id: APP_ID, slug: 'driftless', name: 'driftless' };
  const pullRequests = overrides.pullRequests ?? [listedPullRequest()];
  return {
    action: overrides.action ?? 'rerequested',
    check_run: {
      id: 4_211_000_117,
      head_sha: HEAD,
      external_id: '',
      status: 'completed',
      conclusion: 'failure',
      name: 'driftless plan',
      output: { title: 'driftless plan: 1 error', summary: '…', annotations_count: 1 },
      check_suite: { id: 5, head_branch: 'web-1.4.3', head_sha: HEAD, pull_requests: pullRequests, app },
      app,
      pull_requests: pullRequests,
      ...overrides.run,
    },
    repository: { id: 35129377, name: 'platform-config', full_name: 'acme/platform-config', private: true },
    sender: { login: 'saanvi', id: 21031067, type: 'User' },
    installation: { id: 2311213 },
  };
}

function githubCheckSuite(action = 'rerequested', app: unknown = { id: APP_ID }): Record<string, unknown> {
  return {
    action,
    check_suite: {
      id: 118578147,
      head_branch: 'web-1.4.3',
      head_sha: HEAD,
      status: 'completed',
      conclusion: 'failure',
      before: BEFORE,
      after: HEAD,
      pull_requests: [listedPullRequest()],
      app,
    },
    repository: { id: 35129377, name: 'platform-config', full_name: 'acme/platform-config', private: true },
    sender: { login: 'saanvi', id: 21031067, type: 'User' },
  };
}

const PLANNED_PR_42 = {
  kind: 'pull-request',
  host: 'github',
  repository: 'acme/platform-config',
  number: 42,
  sourceBranch: 'web-1.4.3',
  targetBranch: 'main',
  headSha: HEAD,
  baseSha: BASE,
  deliveryId: DELIVERY,
} as const;

describe('GitHub events', () => {
  it('reads a push to the tracked branch into a push message, the pusher named by login', () => {
    // Act
    const reading = readGitHubEvent('push', githubPush(), GITHUB, DELIVERY);

    // Assess
    expect(reading).toEqual({
      kind: 'message',
      message: {
        kind: 'push',
        host: 'github',
        repository: 'acme/platform-config',
        branch: 'main',
        before: BEFORE,
        after: HEAD,
        pushedBy: 'github:saanvi',
        deliveryId: DELIVERY,
      },
    });
  });

  it('marks a force-push, so the run does not scope from rewritten history', () => {
    // Act
    const reading = readGitHubEvent('push', githubPush({ forced: true }), GITHUB, DELIVERY);

    // Assess
    expect(reading).toMatchObject({ kind: 'message', message: { forced: true } });
  });

  it.each([
    ['another branch', githubPush({ ref: 'refs/heads/develop' }), /refs\/heads\/develop, not the tracked branch main/],
    ['a tag', githubPush({ ref: 'refs/tags/v1' }), /refs\/tags\/v1/],
    ['another repository', githubPush({ repository: { full_name: 'acme/other' } }), /acme\/other is not the tracked/],
    ['the deleted branch', githubPush({ deleted: true, after: ZERO }), /was deleted; resources are left as they are/],
  ])('ignores a push to %s', (_what, payload, reason) => {
    // Act
    const reading = readGitHubEvent('push', payload, GITHUB, DELIVERY);

    // Assess
    expect(reading).toEqual({ kind: 'ignored', reason: expect.stringMatching(reason) });
  });

  it('matches the repository whatever its case, as GitHub does', () => {
    // Act
    const reading = readGitHubEvent('push', githubPush(), { ...GITHUB, repository: 'Acme/Platform-Config' }, DELIVERY);

    // Assess
    expect(reading.kind).toBe('message');
  });

  it.each(['opened', 'synchronize', 'reopened'])('reads a pull request %s into the tracked branch', (action) => {
    // Act
    const reading = readGitHubEvent('pull_request', githubPullRequest(action), GITHUB, DELIVERY);

    // Assess
    expect(reading).toEqual({
      kind: 'message',
      message: {
        kind: 'pull-request',
        host: 'github',
        repository: 'acme/platform-config',
        number: 42,
        sourceBranch: 'web-1.4.3',
        targetBranch: 'main',
        headSha: HEAD,
        baseSha: BASE,
        deliveryId: DELIVERY,
      },
    });
  });

  it.each([
    ['closed', githubPullRequest('closed'), /action closed does not change what would be merged/],
    ['labeled', githubPullRequest('labeled'), /action labeled/],
    ['into another branch', githubPullRequest('opened', { base: { ref: 'develop' } }), /refs\/heads\/develop/],
    [
      'from a fork',
      githubPullRequest('opened', { head: { repo: { full_name: 'mallory/platform-config' } } }),
      /comes from a fork/,
    ],
    ['from a deleted fork', githubPullRequest('opened', { head: { repo: null } }), /comes from a fork/],
    ['edited (its title)', githubPullRequest('edited', { top: { changes: { title: { from: 'wip' } } } }), /edited/],
    [
      're-targeted onto another branch',
      githubPullRequest('edited', { base: { ref: 'develop' }, top: { changes: { base: { ref: { from: 'main' } } } } }),
      /refs\/heads\/develop, not the tracked branch main/,
    ],
  ])('ignores a pull request %s', (_what, payload, reason) => {
    // Act
    const reading = readGitHubEvent('pull_request', payload, GITHUB, DELIVERY);

    // Assess
    expect(reading).toEqual({ kind: 'ignored', reason: expect.stringMatching(reason) });
  });

  it('plans a pull request re-targeted onto the tracked branch, as if just opened', () => {
    // Prepare: `edited` carries the new base in pull_request.base and the old one in changes.base.
    const payload = githubPullRequest('edited', {
      top: { changes: { base: { ref: { from: 'develop' }, sha: { from: BEFORE } } } },
    });

    // Act
    const reading = readGitHubEvent('pull_request', payload, GITHUB, DELIVERY);

    // Assess
    expect(reading).toEqual({ kind: 'message', message: PLANNED_PR_42 });
  });

  it('plans again, as on synchronize, the pull request whose "driftless plan" check was re-run', () => {
    // Act
    const reading = readGitHubEvent('check_run', githubCheckRun(), GITHUB_APP, DELIVERY);
    const withoutAppId = readGitHubEvent('check_run', githubCheckRun(), GITHUB, DELIVERY);

    // Assess
    expect(reading).toEqual({ kind: 'message', message: PLANNED_PR_42 });
    expect(withoutAppId).toEqual(reading);
    expect(GITHUB_PLAN_CHECK_NAME).toBe(CHECK_RUN_NAME);
  });

  it('picks, of the pull requests a re-run lists, the one into the tracked branch', () => {
    // Prepare: the branch has pull requests into develop and main.
    const pullRequests = [
      listedPullRequest({ number: 41, base: { ref: 'develop' } }),
      listedPullRequest({ number: 43, head: { sha: BEFORE } }),
    ];

    // Act
    const reading = readGitHubEvent('check_run', githubCheckRun({ pullRequests }), GITHUB_APP, DELIVERY);

    // Assess: the pull request's own head, which may be newer than the run's commit.
    expect(reading).toEqual({ kind: 'message', message: { ...PLANNED_PR_42, number: 43, headSha: BEFORE } });
  });

  it.each([
    ['created (driftless creating its own run)', githubCheckRun({ action: 'created' }), /check run action created/],
    ['completed', githubCheckRun({ action: 'completed' }), /check run action completed asks for no plan/],
    ['of another check', githubCheckRun({ run: { name: 'ci / build' } }), /check run ci \/ build is not driftless's/],
    ['of another App', githubCheckRun({ run: { app: { id: 15368 } } }), /another GitHub App \(15368\)/],
    ['without an App', githubCheckRun({ run: { app: null } }), /another GitHub App \(none\)/],
    ['with no pull request (a fork, or none open)', githubCheckRun({ pullRequests: [] }), /names no pull request/],
    [
      'whose pull requests are into other branches',
      githubCheckRun({ pullRequests: [listedPullRequest({ base: { ref: 'develop' } })] }),
      /into develop, not the tracked branch main/,
    ],
    [
      'of a fork',
      githubCheckRun({ pullRequests: [listedPullRequest({ head: { repo: { id: 1, url: 'x', name: 'fork' } } })] }),
      /comes from a fork/,
    ],
    [
      'in another repository',
      { ...githubCheckRun(), repository: { full_name: 'acme/other' } },
      /acme\/other is not the tracked/,
    ],
    ['that cannot be read', githubCheckRun({ run: { head_sha: 'nope' } }), /^not a check_run payload: .*head_sha/],
  ])('ignores a check run %s', (_what, payload, reason) => {
    // Act
    const reading = readGitHubEvent('check_run', payload, GITHUB_APP, DELIVERY);

    // Assess
    expect(reading).toEqual({ kind: 'ignored', reason: expect.stringMatching(reason) });
  });

  it('plans again on "Re-run all checks" of driftless\'s suite, and ignores other suites and actions', () => {
    // Act
    const rerun = readGitHubEvent('check_suite', githubCheckSuite(), GITHUB_APP, DELIVERY);
    const requested = readGitHubEvent('check_suite', githubCheckSuite('requested'), GITHUB_APP, DELIVERY);
    const otherApp = readGitHubEvent(
      'check_suite',
      githubCheckSuite('rerequested', { id: 15368 }),
      GITHUB_APP,
      DELIVERY,
    );
    const unknownApp = readGitHubEvent('check_suite', githubCheckSuite(), GITHUB, DELIVERY);

    // Assess
    expect(rerun).toEqual({ kind: 'message', message: PLANNED_PR_42 });
    expect(requested).toEqual({ kind: 'ignored', reason: 'check suite action requested asks for no plan' });
    expect(otherApp).toEqual({ kind: 'ignored', reason: expect.stringMatching(/another GitHub App \(15368\)/) });
    expect(unknownApp).toEqual({
      kind: 'ignored',
      reason: expect.stringMatching(/only when the GitHub App id is known/),
    });
  });

  it('answers a ping, and ignores events it does not act on or cannot read', () => {
    // Act
    const ping = readGitHubEvent('ping', { zen: 'Keep it logically awesome.', hook_id: 1 }, GITHUB, DELIVERY);
    const other = readGitHubEvent('status', { state: 'success', sha: HEAD }, GITHUB, DELIVERY);
    const malformed = readGitHubEvent('push', { ref: 'refs/heads/main', after: 'not-a-sha' }, GITHUB, DELIVERY);

    // Assess
    expect(ping).toEqual({ kind: 'ping' });
    expect(other).toEqual({ kind: 'ignored', reason: 'event status is not one driftless acts on' });
    expect(malformed).toEqual({ kind: 'ignored', reason: expect.stringMatching(/^not a push payload: .*after/) });
  });
});

describe('GitLab events', () => {
  it('reads a push hook to the tracked branch into a push message', () => {
    // Act
    const reading = readGitLabEvent('Push Hook', gitlabPush(), GITLAB, DELIVERY);

    // Assess
    expect(reading).toEqual({
      kind: 'message',
      message: {
        kind: 'push',
        host: 'gitlab',
        repository: 'platform/team/platform-config',
        branch: 'main',
        before: BEFORE,
        after: HEAD,
        pushedBy: 'gitlab:jsouza',
        deliveryId: DELIVERY,
      },
    });
  });

  it('ignores the push that deletes the branch (its new head is all zeros) and pushes elsewhere', () => {
    // Act
    const deleted = readGitLabEvent('Push Hook', gitlabPush({ after: ZERO, checkout_sha: null }), GITLAB, DELIVERY);
    const other = readGitLabEvent('Push Hook', gitlabPush({ ref: 'refs/heads/feature' }), GITLAB, DELIVERY);

    // Assess
    expect(deleted).toEqual({ kind: 'ignored', reason: expect.stringMatching(/was deleted/) });
    expect(other).toEqual({ kind: 'ignored', reason: expect.stringMatching(/refs\/heads\/feature/) });
  });

  it.each(['open', 'update', 'reopen'])(
    'reads a merge request hook (%s) without a base: the worker reads it',
    (action) => {
      // Act
      const reading = readGitLabEvent('Merge Request Hook', gitlabMergeRequest(action), GITLAB, DELIVERY);

      // Assess
      expect(reading).toEqual({
        kind: 'message',
        message: {
          kind: 'pull-request',
          host: 'gitlab',
          repository: 'platform/team/platform-config',
          number: 7,
          sourceBranch: 'web-1.4.3',
          targetBranch: 'main',
          headSha: HEAD,
          deliveryId: DELIVERY,
        },
      });
    },
  );

  it.each([
    ['merged', gitlabMergeRequest('merge'), /action merge/],
    ['approved', gitlabMergeRequest('approved'), /action approved/],
    ['into another branch', gitlabMergeRequest('open', { target_branch: 'develop' }), /refs\/heads\/develop/],
    ['from a fork', gitlabMergeRequest('open', { source_project_id: 99 }), /comes from a fork/],
  ])('ignores a merge request %s', (_what, payload, reason) => {
    // Act
    const reading = readGitLabEvent('Merge Request Hook', payload, GITLAB, DELIVERY);

    // Assess
    expect(reading).toEqual({ kind: 'ignored', reason: expect.stringMatching(reason) });
  });

  it('ignores other hooks', () => {
    // Act
    const reading = readGitLabEvent('Pipeline Hook', { object_kind: 'pipeline' }, GITLAB, DELIVERY);

    // Assess
    expect(reading).toEqual({ kind: 'ignored', reason: 'event Pipeline Hook is not one driftless acts on' });
  });
});

describe('the queued message', () => {
  it('reads back what the receiver queued, and refuses what is not a message', () => {
    // Prepare
    const reading = readGitHubEvent('pull_request', githubPullRequest(), GITHUB, DELIVERY);
    const message = reading.kind === 'message' ? reading.message : undefined;

    // Act
    const parsed = parseWebhookMessage(JSON.stringify(message));
    const notJson = parseWebhookMessage('{"kind":');
    const notMessage = parseWebhookMessage(JSON.stringify({ kind: 'push', host: 'bitbucket' }));

    // Assess
    expect(parsed).toEqual({ ok: true, message });
    expect(notJson).toEqual({ ok: false, reason: 'the body is not JSON' });
    expect(notMessage.ok).toBe(false);
  });
});
