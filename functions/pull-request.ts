/** The pull-request function: plans a CodeCommit pull request's source commit and comments the plan, applying nothing;
 * planPullRequest is the host-neutral core the webhook worker shares for GitHub and GitLab. */

import { ConfigurationError } from '../shared/errors.ts';
import { codeSpan, MAX_COMMENT_LENGTH, renderPlanMarkdown } from '../shared/plan/markdown.ts';
import type { PlanSummary } from '../shared/plan/plan.ts';
import { liveReadersOf, loadConfined, planAgainstLive, pruneCandidates } from '../shared/reconcile/plan-run.ts';
import { CodeCommitPlanReporter } from '../shared/writeback/codecommit-plan-reporter.ts';
import { PLAN_COMMENT_MARKER, type PlanReporter } from '../shared/writeback/plan-reporter.ts';
import { type FunctionDependencies, lazyHandler, productionDependencies } from './dependencies.ts';
import { limitsOf } from './environment.ts';
import { type ErrorSummary, isRethrown, summarizeError } from './errors.ts';
import { eventLabel, type PullRequestStateChangeEvent, parsePullRequestStateChange } from './events.ts';

export type PullRequestResult =
  | { readonly outcome: 'ignored'; readonly reason: string }
  | {
      readonly outcome: 'commented';
      readonly action: 'posted' | 'updated';
      readonly commentId?: string;
      /** GitHub's check run id, or GitLab's commit status id. */
      readonly checkId?: string;
      readonly commitId: string;
      /** Absent when validation errors stopped the plan. */
      readonly summary?: PlanSummary;
      readonly errors: number;
    }
  | { readonly outcome: 'failed'; readonly error: ErrorSummary };

const PLANNED_EVENTS = new Set(['pullRequestCreated', 'pullRequestSourceBranchUpdated']);

export function createPullRequestHandler(
  deps: FunctionDependencies,
): (event: PullRequestStateChangeEvent) => Promise<PullRequestResult> {
  const { environment, logger } = deps;
  // Kept across invocations, with their caches.
  const planDeps = deps.readers ? deps : { ...deps, readers: liveReadersOf(deps) };
  return async (event) => {
    const parsed = parsePullRequestStateChange(event);
    if (!parsed.ok) {
      logger.warn('event ignored', { ...eventLabel(event), reason: parsed.reason });
      return { outcome: 'ignored', reason: parsed.reason };
    }
    const { detail } = parsed.event;
    const log = {
      eventId: parsed.event.id,
      pullRequestId: detail.pullRequestId,
      event: detail.event,
      sourceCommit: detail.sourceCommit,
      destinationReference: detail.destinationReference,
    };
    const reason = ignoredBecause(detail, environment);
    if (reason) {
      logger.info('pull request ignored', { ...log, reason });
      return { outcome: 'ignored', reason };
    }

    return planPullRequest(
      planDeps,
      {
        pullRequestId: detail.pullRequestId,
        sourceBranch: branchName(detail.sourceReference ?? detail.sourceCommit),
        headCommitId: detail.sourceCommit,
        baseCommitId: detail.destinationCommit,
      },
      log,
    );
  };
}

/** A pull request to plan, whatever hosts it. */
export interface PullRequestToPlan {
  /** The host's pull (merge) request id or number, as text. */
  readonly pullRequestId: string;
  /** The source branch's name, for the report's first line. */
  readonly sourceBranch: string;
  /** The commit planned. */
  readonly headCommitId: string;
  /** The commit it would merge into. */
  readonly baseCommitId: string;
}

/** deps.planReporter, else CodeCommit's comment; the host test is inline so a GitHub or GitLab bundle leaves the
 * CodeCommit reporter and client out (functions/hosts.ts). */
function planReporterOf(deps: FunctionDependencies): PlanReporter {
  if (deps.planReporter) return deps.planReporter;
  if (deps.codeCommit && (process.env.DRIFTLESS_BUNDLED_HOST ?? 'codecommit') === 'codecommit') {
    return new CodeCommitPlanReporter({ repositoryName: deps.environment.repository, client: deps.codeCommit });
  }
  throw new ConfigurationError('no plan reporter: neither the host adapters nor a CodeCommit client were given');
}

/**
 * Plans a pull request's head against live state and reports it through the host's PlanReporter (deps.planReporter;
 * CodeCommit's comment when none is given). Nothing is applied. A failure is mapped like every function's: terminal
 * ones are logged and returned, the others thrown back to be retried (EventBridge or SQS).
 */
export async function planPullRequest(
  deps: FunctionDependencies,
  pullRequest: PullRequestToPlan,
  log: Record<string, unknown>,
): Promise<PullRequestResult> {
  const { environment, logger } = deps;
  const readers = deps.readers ?? liveReadersOf(deps);
  const reporter = planReporterOf(deps);
  try {
    const snapshot = await loadConfined(
      deps.source,
      {
        ref: pullRequest.headCommitId,
        prefix: environment.pathPrefix,
        ...(deps.blobCache ? { blobCache: deps.blobCache } : {}),
      },
      limitsOf(environment),
    );
    const context = [
      `Pull request ${pullRequest.pullRequestId}: ${codeSpan(pullRequest.sourceBranch)} → ` +
        `${codeSpan(environment.branch)} in ${codeSpan(environment.repository)}. Nothing is applied until it is ` +
        'merged; this is what merging would change, read against live state now.',
    ];
    // The tightest host limit (CodeCommit's), less the marker a reporter puts in front.
    const maxLength = MAX_COMMENT_LENGTH - PLAN_COMMENT_MARKER.length - 1;
    let markdown: string;
    let summary: PlanSummary | undefined;
    let diagnostics = snapshot.diagnostics;
    if (snapshot.pruneBlocked) {
      // Nothing reaches AWS from a repository with errors: a target outside the allowlist is never even read.
      markdown = renderPlanMarkdown({ diagnostics, commitId: snapshot.commitId, context, maxLength });
    } else {
      // Like a run, orphans (prune candidates) are looked for only when pruning is on: confine turned it off
      // already when the deployment does not allow it.
      const live = await planAgainstLive(snapshot, readers, pruneCandidates(snapshot, environment.installationId));
      const plan = live.plan;
      summary = plan.summary;
      // With any reference that did not resolve (E_REFERENCE at its file:line).
      diagnostics = live.snapshot.diagnostics;
      // One Query: the break-glass pauses of the tracked branch, shown for the resources this plan touches.
      const pauses = await deps.ledger.activePauses(
        environment.repository,
        environment.branch,
        (deps.now ?? Date.now)(),
      );
      markdown = renderPlanMarkdown({
        plan,
        diagnostics,
        commitId: snapshot.commitId,
        context,
        missingClusters: live.missingClusters,
        maxLength,
        pauses,
      });
    }
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    const reported = await reporter.report({
      pullRequestId: pullRequest.pullRequestId,
      baseCommitId: pullRequest.baseCommitId,
      headCommitId: pullRequest.headCommitId,
      markdown,
      diagnostics,
      ...(summary ? { summary } : {}),
      failed: snapshot.pruneBlocked || errors > 0,
    });
    logger.info('plan commented', { ...log, ...reported, ...(summary ? { summary } : {}), errors });
    return {
      outcome: 'commented',
      ...reported,
      commitId: snapshot.commitId,
      ...(summary ? { summary } : {}),
      errors,
    };
  } catch (error) {
    const summary = summarizeError(error);
    if (isRethrown(error)) {
      logger.error('plan comment failed; thrown back to be retried', { ...log, error: summary });
      throw error;
    }
    logger.error('plan comment failed; not retried: retrying cannot change this', { ...log, error: summary });
    return { outcome: 'failed', error: summary };
  }
}

function ignoredBecause(
  detail: PullRequestStateChangeEvent['detail'],
  environment: FunctionDependencies['environment'],
): string | undefined {
  if (!detail.repositoryNames.includes(environment.repository)) {
    return `repository ${detail.repositoryNames.join(', ')} is not the tracked repository ${environment.repository}`;
  }
  if (detail.destinationReference !== `refs/heads/${environment.branch}`) {
    return `destination ${detail.destinationReference} is not the tracked branch ${environment.branch}`;
  }
  if (!PLANNED_EVENTS.has(detail.event)) return `event ${detail.event} does not change what would be merged`;
  if (detail.pullRequestStatus !== undefined && detail.pullRequestStatus !== 'Open') {
    return `the pull request is ${detail.pullRequestStatus}`;
  }
  return undefined;
}

function branchName(reference: string): string {
  return reference.replace(/^refs\/heads\//, '');
}

/** The Lambda handler: production dependencies, built on the first invocation (see dependencies.ts). */
export const handler = lazyHandler(createPullRequestHandler, productionDependencies);
