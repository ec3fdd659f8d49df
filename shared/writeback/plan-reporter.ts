/**
 * The port a pull request's plan is reported through, whatever hosts the repository: CodeCommit (one comment edited in
 * place), GitHub (a check run on the head commit whose annotations put each finding at its file and line, plus the one
 * comment), GitLab (one merge-request note edited in place, plus a commit status). A report whose plan failed (an error
 * diagnostic, or a plan that could not be made) fails the check or status, so branch protection can require it.
 */
import type { PlanSummary } from '../plan/plan.ts';
import type { Diagnostic } from '../spec/diagnostics.ts';

/** The hidden first line by which every host's one plan comment (note) is found again and edited in place. */
export const PLAN_COMMENT_MARKER = '<!-- driftless-plan -->';

export interface PlanReport {
  /** The host's pull (merge) request id or number, as text. */
  readonly pullRequestId: string;
  /** The commit the pull request would merge into (the target branch's head read). */
  readonly baseCommitId: string;
  /** The commit planned (the pull request's head). */
  readonly headCommitId: string;
  /** The rendered plan (renderPlanMarkdown), without any host marker. */
  readonly markdown: string;
  /** Every finding, for annotations at file:line; paths are relative to the repository root. */
  readonly diagnostics: readonly Diagnostic[];
  /** Absent when validation errors stopped the plan. */
  readonly summary?: PlanSummary;
  /** True when the plan cannot be merged as is: an error diagnostic, or no plan at all. */
  readonly failed: boolean;
}

export interface PlanReportResult {
  /** What happened to the one plan comment or note. */
  readonly action: 'posted' | 'updated';
  readonly commentId?: string;
  /** GitHub's check run id, or GitLab's commit status id. */
  readonly checkId?: string;
}

export interface PlanReporter {
  report(report: PlanReport): Promise<PlanReportResult>;
}
