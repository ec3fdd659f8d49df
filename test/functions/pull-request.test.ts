/** The pull-request function: the plan for the source commit, read against the simulator, as ONE comment that is
 * edited in place when the source branch moves. Nothing is applied. */
import { PostCommentForPullRequestCommand } from '@aws-sdk/client-codecommit';
import { afterEach, describe, expect, it } from 'vitest';
import type { PullRequestStateChangeEvent } from '../../functions/events.ts';
import { createPullRequestHandler } from '../../functions/pull-request.ts';
import { newEntryId } from '../../shared/audit/ids.ts';
import { breakGlassEntry } from '../../shared/audit/pauses.ts';
import { PLAN_COMMENT_MARKER } from '../../shared/writeback/pull-request-comments.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../support/fixtures.ts';
import { createHarness, eventFixture, type Harness, writeCount } from './support.ts';

const WEB = (await readTree(EXAMPLE_REPO_DIR))['services/web.yaml']!.toString();

function pullRequestEvent(
  fixture: 'codecommit-pull-request-created' | 'codecommit-pull-request-source-branch-updated',
  detail: Record<string, unknown>,
): PullRequestStateChangeEvent {
  return eventFixture<PullRequestStateChangeEvent>(fixture, detail);
}

describe('pull-request function', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });

  /** Live state from main, then a source branch with one commit changing web's image. */
  async function openPullRequest() {
    const created = await createHarness();
    const destination = await created.bootstrap();
    await created.repo.branch('web-1.4.3');
    await created.repo.checkout('web-1.4.3');
    const source = await created.repo.commit(
      { 'services/web.yaml': WEB.replace('web:1.4.2', 'web:1.4.3') },
      'web: image 1.4.3',
    );
    await created.repo.checkout('main');
    // Comments people wrote before the plan arrived: the plan comment is found across pages.
    created.comments.add('Looks good to me.');
    created.comments.add('Which ticket is this for?');
    created.comments.add(`Quoting the bot: ${PLAN_COMMENT_MARKER} is not at the start, so this is not ours.`);
    return { harness: created, destination, source };
  }

  it('comments the plan for the source commit once, behind the marker, and applies nothing', async () => {
    // Prepare
    const opened = await openPullRequest();
    harness = opened.harness;

    // Act
    const result = await createPullRequestHandler(harness.deps)(
      pullRequestEvent('codecommit-pull-request-created', {
        sourceCommit: opened.source,
        destinationCommit: opened.destination,
      }),
    );

    // Assess
    expect(result).toMatchObject({ outcome: 'commented', action: 'posted', commitId: opened.source });
    expect(harness.comments.calls('PostCommentForPullRequest')).toBe(1);
    const post = harness.comments.mock.commandCalls(PostCommentForPullRequestCommand as never)[0]?.args[0].input;
    expect(post).toMatchObject({
      pullRequestId: '7',
      repositoryName: 'platform-config',
      beforeCommitId: opened.destination,
      afterCommitId: opened.source,
    });
    const ours = harness.comments.comments.filter((comment) => comment.content?.startsWith(PLAN_COMMENT_MARKER));
    expect(ours).toHaveLength(1);
    const content = ours[0]?.content ?? '';
    expect(content).toContain(`for \`${opened.source.slice(0, 12)}\``);
    expect(content).toContain('**Plan: 0 to create, 1 to update, 0 to delete, 3 in sync.**');
    expect(content).toContain('/spec/taskDefinition/containerDefinitions/web/image');
    expect(content).toContain('web:1.4.3');
    expect(content.length).toBeLessThanOrEqual(10_240);
    expect(writeCount(harness.simulator)).toBe(0);
    expect(harness.announced()).toEqual([]);
  });

  it('shows the active pause of a resource in the plan, and not an expired one or one outside the plan', async () => {
    // Prepare
    const opened = await openPullRequest();
    harness = opened.harness;
    const now = Date.now();
    const pause = (resourceId: string, at: number, durationMs: number) =>
      breakGlassEntry({
        kind: 'pause',
        entryId: newEntryId(new Date(at)),
        repository: 'platform-config',
        branch: 'main',
        commitId: opened.destination,
        resourceId,
        by: 'arn:aws:sts::123456789012:assumed-role/OnCall/Jorge_Souza',
        reason: 'INC-4411: <hot-fix> under investigation',
        now: at,
        durationMs,
      });
    await harness.ledger.append(pause('EcsService:prod/web', now - 60_000, 2 * 3_600_000));
    await harness.ledger.append(pause('EcsService:prod/worker', now - 3 * 3_600_000, 3_600_000));
    await harness.ledger.append(pause('EcsService:prod/other', now - 60_000, 3_600_000));

    // Act
    await createPullRequestHandler(harness.deps)(
      pullRequestEvent('codecommit-pull-request-created', {
        sourceCommit: opened.source,
        destinationCommit: opened.destination,
      }),
    );

    // Assess
    const content = harness.comments.comments.find((comment) =>
      comment.content?.startsWith(PLAN_COMMENT_MARKER),
    )?.content;
    const until = new Date(now - 60_000 + 2 * 3_600_000).toISOString();
    expect(content).toContain(
      '> **Paused (break glass):** until a pause ends, merging applies nothing to this resource',
    );
    expect(content).toContain(
      `> - \`EcsService:prod/web\` until \`${until}\` by \`arn:aws:sts::123456789012:assumed-role/OnCall/Jorge_Souza\`: INC-4411: &lt;hot-fix&gt; under investigation`,
    );
    expect(content).not.toContain('prod/worker` until');
    expect(content).not.toContain('prod/other');
  });

  it('updates the same comment when the source branch moves, and posts no second one', async () => {
    // Prepare
    const opened = await openPullRequest();
    harness = opened.harness;
    const handler = createPullRequestHandler(harness.deps);
    await handler(
      pullRequestEvent('codecommit-pull-request-created', {
        sourceCommit: opened.source,
        destinationCommit: opened.destination,
      }),
    );
    await harness.repo.checkout('web-1.4.3');
    const moved = await harness.repo.commit(
      { 'services/web.yaml': WEB.replace('web:1.4.2', 'web:1.4.3').replace('desiredCount: 3', 'desiredCount: 4') },
      'web: four tasks',
    );
    await harness.repo.checkout('main');
    harness.comments.add('A later human comment, so ours is not the last one.');

    // Act
    const result = await handler(
      pullRequestEvent('codecommit-pull-request-source-branch-updated', {
        sourceCommit: moved,
        destinationCommit: opened.destination,
      }),
    );

    // Assess
    expect(result).toMatchObject({ outcome: 'commented', action: 'updated', commitId: moved });
    expect(harness.comments.calls('PostCommentForPullRequest')).toBe(1);
    expect(harness.comments.calls('UpdateComment')).toBe(1);
    const ours = harness.comments.comments.filter((comment) => comment.content?.startsWith(PLAN_COMMENT_MARKER));
    expect(ours).toHaveLength(1);
    expect(ours[0]?.content).toContain(`for \`${moved.slice(0, 12)}\``);
    expect(ours[0]?.content).toContain('| `/spec/desiredCount` | `3` | `4` |');
    expect(writeCount(harness.simulator)).toBe(0);
  });

  it('lists validation errors with file and line, and reads nothing from AWS', async () => {
    // Prepare
    const opened = await openPullRequest();
    harness = opened.harness;
    await harness.repo.checkout('web-1.4.3');
    const broken = await harness.repo.commit(
      { 'services/web.yaml': 'apiVersion: driftless/v1\nkind: EcsService\nmetadata: { name: web }\n' },
      'break web',
    );
    await harness.repo.checkout('main');

    // Act
    const result = await createPullRequestHandler(harness.deps)(
      pullRequestEvent('codecommit-pull-request-source-branch-updated', {
        sourceCommit: broken,
        destinationCommit: opened.destination,
      }),
    );

    // Assess
    expect(result).toMatchObject({ outcome: 'commented', errors: expect.any(Number) });
    const content = harness.comments.comments.find((comment) =>
      comment.content?.startsWith(PLAN_COMMENT_MARKER),
    )?.content;
    expect(content).toContain('**No plan:');
    expect(content).toMatch(/`services\/web\.yaml:3:\d+` `E_SCHEMA`/);
    expect(harness.simulator.calls).toEqual({});
  });

  it('ignores a pull request into another branch with one log line', async () => {
    // Prepare
    harness = await createHarness();

    // Act
    const result = await createPullRequestHandler(harness.deps)(
      pullRequestEvent('codecommit-pull-request-created', { destinationReference: 'refs/heads/develop' }),
    );

    // Assess
    expect(result.outcome).toBe('ignored');
    expect(harness.logger.lines).toEqual([expect.objectContaining({ message: 'pull request ignored' })]);
    expect(harness.comments.calls('GetCommentsForPullRequest')).toBe(0);
  });
});
