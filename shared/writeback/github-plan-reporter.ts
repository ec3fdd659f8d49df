/**
 * Reports a pull request's plan on GitHub: a check run "driftless plan" on the head commit (its summary the plan, one
 * annotation per finding at its file and line, failing when the plan fails, so branch protection can require it),
 * and the one plan comment on the pull request, found again by its hidden marker and edited in place.
 *
 * GitHub takes at most 50 annotations per request: the run is created with the first 50 and updated with each next
 * 50 (an update appends them). Each report creates a new run; GitHub shows, and branch protection reads, the newest
 * run of a name on a commit. Creating check runs needs a GitHub App (`checks: write`); a personal token cannot.
 */

import { type GitHubClientOptions, type GitHubTokenSource, gitHubRestClient } from '../source/github-auth.ts';
import type { RestClient } from '../source/rest-client.ts';
import type { Diagnostic } from '../spec/diagnostics.ts';
import { PLAN_COMMENT_MARKER, type PlanReport, type PlanReporter, type PlanReportResult } from './plan-reporter.ts';

export interface GitHubPlanReporterOptions extends GitHubClientOptions {
  readonly owner: string;
  readonly repo: string;
  readonly auth: GitHubTokenSource;
}

export const CHECK_RUN_NAME = 'driftless plan';
const ANNOTATIONS_PER_REQUEST = 50;
/** Enough for any repository within the input limits, few enough that a report stays a handful of requests. */
const MAX_ANNOTATIONS = 1000;
/** GitHub's limits on a check run's summary and on a comment's body. */
const SUMMARY_LIMIT = 65_535;
const COMMENT_LIMIT = 65_536;

interface Annotation {
  readonly path: string;
  readonly start_line: number;
  readonly end_line: number;
  readonly start_column: number;
  readonly end_column: number;
  readonly annotation_level: 'failure' | 'warning';
  readonly title: string;
  readonly message: string;
}

interface IssueComment {
  readonly id: number;
  readonly body?: string;
  readonly created_at: string;
}

export class GitHubPlanReporter implements PlanReporter {
  private readonly client: RestClient;
  private readonly repoPath: string;

  constructor(options: GitHubPlanReporterOptions) {
    this.client = gitHubRestClient(options.auth, options);
    this.repoPath = `/repos/${encodeURIComponent(options.owner)}/${encodeURIComponent(options.repo)}`;
  }

  async report(report: PlanReport): Promise<PlanReportResult> {
    const checkId = await this.reportCheck(report);
    const comment = await this.upsertComment(report.pullRequestId, `${PLAN_COMMENT_MARKER}\n${report.markdown}`);
    return { ...comment, checkId };
  }

  private async reportCheck(report: PlanReport): Promise<string> {
    const annotations = report.diagnostics.filter((d) => d.file !== '').map(toAnnotation);
    const kept = annotations.slice(0, MAX_ANNOTATIONS);
    const left = annotations.length - kept.length;
    const output = (batch: readonly Annotation[]) => ({
      title: titleOf(report),
      summary: truncate(report.markdown, SUMMARY_LIMIT),
      ...(left > 0 ? { text: `${left} more findings are not annotated; the plan comment lists every one.` } : {}),
      annotations: batch,
    });
    const created = await this.client.request<{ id: number }>({
      method: 'POST',
      path: `${this.repoPath}/check-runs`,
      body: {
        name: CHECK_RUN_NAME,
        head_sha: report.headCommitId,
        status: 'completed',
        conclusion: conclusionOf(report),
        completed_at: new Date().toISOString(),
        output: output(kept.slice(0, ANNOTATIONS_PER_REQUEST)),
      },
    });
    const id = created.body.id;
    for (let start = ANNOTATIONS_PER_REQUEST; start < kept.length; start += ANNOTATIONS_PER_REQUEST) {
      await this.client.request({
        method: 'PATCH',
        path: `${this.repoPath}/check-runs/${id}`,
        body: { output: output(kept.slice(start, start + ANNOTATIONS_PER_REQUEST)) },
      });
    }
    return String(id);
  }

  /** Edits our oldest marked comment, or posts one when there is none (or it was deleted meanwhile). */
  private async upsertComment(pullRequestId: string, content: string): Promise<Omit<PlanReportResult, 'checkId'>> {
    const body = truncate(content, COMMENT_LIMIT);
    let ours: IssueComment | undefined;
    for await (const comment of this.client.paginate<IssueComment>({
      path: `${this.repoPath}/issues/${pullRequestId}/comments`,
    })) {
      if ((comment.body ?? '').trimStart().startsWith(PLAN_COMMENT_MARKER)) {
        ours = comment;
        break;
      }
    }
    if (ours) {
      const updated = await this.client.request<IssueComment>({
        method: 'PATCH',
        path: `${this.repoPath}/issues/comments/${ours.id}`,
        body: { body },
        expect: [404],
      });
      if (updated.status !== 404) return { action: 'updated', commentId: String(ours.id) };
    }
    const posted = await this.client.request<IssueComment>({
      method: 'POST',
      path: `${this.repoPath}/issues/${pullRequestId}/comments`,
      body: { body },
    });
    return { action: 'posted', commentId: String(posted.body.id) };
  }
}

function toAnnotation(diagnostic: Diagnostic): Annotation {
  const line = Math.max(1, diagnostic.line);
  const column = Math.max(1, diagnostic.column);
  return {
    path: diagnostic.file,
    start_line: line,
    end_line: line,
    start_column: column,
    end_column: column,
    annotation_level: diagnostic.severity === 'error' ? 'failure' : 'warning',
    title: diagnostic.code,
    message: diagnostic.message,
  };
}

/** Failure blocks the merge where the check is required; neutral passes it but says there are warnings to read. */
function conclusionOf(report: PlanReport): 'failure' | 'neutral' | 'success' {
  if (report.failed) return 'failure';
  return report.diagnostics.some((d) => d.severity === 'warning') ? 'neutral' : 'success';
}

function titleOf(report: PlanReport): string {
  const errors = report.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = report.diagnostics.length - errors;
  const counted = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const findings = [errors > 0 ? counted(errors, 'error') : '', warnings > 0 ? counted(warnings, 'warning') : '']
    .filter(Boolean)
    .join(', ');
  if (report.failed) return `Plan failed${findings ? `: ${findings}` : ''}`;
  const summary = report.summary;
  const changes = summary
    ? (['create', 'update', 'replace', 'delete'] as const)
        .filter((kind) => summary[kind] > 0)
        .map((kind) => `${summary[kind]} to ${kind}`)
        .join(', ')
    : '';
  return [changes || 'No changes', findings].filter(Boolean).join('; ');
}

function truncate(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const note = '\n\n… (cut at GitHub’s length limit)';
  return `${text.slice(0, limit - note.length)}${note}`;
}
