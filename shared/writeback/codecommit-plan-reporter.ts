/** Reports a pull request's plan on CodeCommit: the one plan comment, edited in place (pull-request-comments.ts).
 * CodeCommit has no checks; an approval rule template is how a team requires the plan to be read. */
import type { CodeCommitClient } from '@aws-sdk/client-codecommit';
import type { PlanReport, PlanReporter, PlanReportResult } from './plan-reporter.ts';
import { PLAN_COMMENT_MARKER, upsertPlanComment } from './pull-request-comments.ts';

export interface CodeCommitPlanReporterOptions {
  readonly repositoryName: string;
  readonly client: CodeCommitClient;
}

export class CodeCommitPlanReporter implements PlanReporter {
  constructor(private readonly options: CodeCommitPlanReporterOptions) {}

  async report(report: PlanReport): Promise<PlanReportResult> {
    return upsertPlanComment(
      this.options.client,
      {
        pullRequestId: report.pullRequestId,
        repositoryName: this.options.repositoryName,
        beforeCommitId: report.baseCommitId,
        afterCommitId: report.headCommitId,
      },
      `${PLAN_COMMENT_MARKER}\n${report.markdown}`,
    );
  }
}
