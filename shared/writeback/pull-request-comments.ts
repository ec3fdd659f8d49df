/**
 * One plan comment per pull request: found again by a hidden marker and edited in place, so a pull request shows
 * the plan for its newest source commit instead of a growing pile of stale ones.
 *
 * Find: GetCommentsForPullRequest, every page (nextToken), every revision's comments; ours is the oldest comment
 * that is not deleted and starts with the marker. Then UpdateComment it, or PostCommentForPullRequest when there is
 * none (or it cannot be edited: deleted meanwhile, or written by someone else who copied the marker). A post carries
 * an idempotency token made of the pull request and both commits, so a duplicate event posts once.
 */
import { createHash } from 'node:crypto';
import {
  type CodeCommitClient,
  type Comment,
  GetCommentsForPullRequestCommand,
  PostCommentForPullRequestCommand,
  UpdateCommentCommand,
} from '@aws-sdk/client-codecommit';

import { PLAN_COMMENT_MARKER } from './plan-reporter.ts';

export { PLAN_COMMENT_MARKER };

/** Comments per GetCommentsForPullRequest page (the API's default is 100, its maximum 500). */
const PAGE_SIZE = 100;

/** Errors that mean "this comment cannot be edited": post a new one instead. */
const NOT_EDITABLE = new Set([
  'CommentDoesNotExistException',
  'CommentDeletedException',
  'CommentNotCreatedByCallerException',
]);

export interface PlanCommentTarget {
  readonly pullRequestId: string;
  readonly repositoryName: string;
  /** The destination branch's commit (what the change is compared against). */
  readonly beforeCommitId: string;
  /** The source branch's commit (the commit planned). */
  readonly afterCommitId: string;
}

export interface PlanCommentResult {
  readonly action: 'posted' | 'updated';
  readonly commentId?: string;
}

export function isPlanComment(comment: Comment): boolean {
  return comment.deleted !== true && (comment.content ?? '').trimStart().startsWith(PLAN_COMMENT_MARKER);
}

/** Our earlier plan comment on the pull request, if any: the oldest one carrying the marker. */
export async function findPlanComment(
  client: CodeCommitClient,
  target: PlanCommentTarget,
): Promise<Comment | undefined> {
  const found: Comment[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new GetCommentsForPullRequestCommand({
        pullRequestId: target.pullRequestId,
        repositoryName: target.repositoryName,
        maxResults: PAGE_SIZE,
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    for (const revision of page.commentsForPullRequestData ?? []) {
      found.push(...(revision.comments ?? []).filter(isPlanComment));
    }
    nextToken = page.nextToken;
  } while (nextToken);
  const time = (comment: Comment) => comment.creationDate?.getTime() ?? Number.POSITIVE_INFINITY;
  return found.sort((a, b) => time(a) - time(b))[0];
}

/** Edits our plan comment to `content`, or posts it. `content` must start with PLAN_COMMENT_MARKER. */
export async function upsertPlanComment(
  client: CodeCommitClient,
  target: PlanCommentTarget,
  content: string,
): Promise<PlanCommentResult> {
  const existing = await findPlanComment(client, target);
  if (existing?.commentId) {
    try {
      const updated = await client.send(new UpdateCommentCommand({ commentId: existing.commentId, content }));
      return { action: 'updated', commentId: updated.comment?.commentId ?? existing.commentId };
    } catch (error) {
      if (!(error instanceof Error && NOT_EDITABLE.has(error.name))) throw error;
    }
  }
  const posted = await client.send(
    new PostCommentForPullRequestCommand({
      pullRequestId: target.pullRequestId,
      repositoryName: target.repositoryName,
      beforeCommitId: target.beforeCommitId,
      afterCommitId: target.afterCommitId,
      content,
      clientRequestToken: idempotencyToken(target, content),
    }),
  );
  return { action: 'posted', ...(posted.comment?.commentId ? { commentId: posted.comment.commentId } : {}) };
}

/** Same pull request, commits and content → same token: CodeCommit answers a repeat with the first comment. */
function idempotencyToken(target: PlanCommentTarget, content: string): string {
  return createHash('sha256')
    .update(
      [target.repositoryName, target.pullRequestId, target.beforeCommitId, target.afterCommitId, content].join('\0'),
    )
    .digest('hex')
    .slice(0, 64);
}
