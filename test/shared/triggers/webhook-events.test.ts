/** GitHub and GitLab payloads read into the host-neutral message the worker runs, and everything else ignored with its
 * reason: another repository or branch, a deleted branch, a fork's pull request, an action that changes nothing. */
import { describe, expect, it } from 'vitest';
import { parseWebhookMessage, readGitHubEvent, readGitLabEvent } from '../../../shared/triggers/webhook-events.ts';
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
  ])('ignores a pull request %s', (_what, payload, reason) => {
    // Act
    const reading = readGitHubEvent('pull_request', payload, GITHUB, DELIVERY);

    // Assess
    expect(reading).toEqual({ kind: 'ignored', reason: expect.stringMatching(reason) });
  });

  it('answers a ping, and ignores events it does not act on or cannot read', () => {
    // Act
    const ping = readGitHubEvent('ping', { zen: 'Keep it logically awesome.', hook_id: 1 }, GITHUB, DELIVERY);
    const other = readGitHubEvent('check_suite', { action: 'requested' }, GITHUB, DELIVERY);
    const malformed = readGitHubEvent('push', { ref: 'refs/heads/main', after: 'not-a-sha' }, GITHUB, DELIVERY);

    // Assess
    expect(ping).toEqual({ kind: 'ping' });
    expect(other).toEqual({ kind: 'ignored', reason: 'event check_suite is not one driftless acts on' });
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
