/**
 * Reports a merge request's plan on GitLab: a commit status "driftless plan" on the head commit (failed when the
 * plan fails, so a project that requires passing statuses blocks the merge) and the one plan note, found again by
 * its hidden marker and edited in place. GitLab has no annotations: the note lists the findings at file:line (the
 * rendered plan lists the first ones; any it does not show are added under it).
 *
 * The note: GET /merge_requests/:iid/notes (every page, oldest first); ours is the oldest non-system note starting
 * with the marker. PUT it, or POST a new one when there is none or it cannot be edited (deleted meanwhile, or written
 * by someone else who copied the marker: GitLab lets only a note's author edit it).
 */

import { RetryableError, TerminalError } from '../errors.ts';
import { escapeMarkdown } from '../plan/markdown.ts';
import type { PlanSummary } from '../plan/plan.ts';
import { type GitLabOptions, gitLabRestClient, projectApiPath } from '../source/gitlab-client.ts';
import type { RestClient, RestRequest, RestResponse } from '../source/rest-client.ts';
import type { Diagnostic } from '../spec/diagnostics.ts';
import { PLAN_COMMENT_MARKER, type PlanReport, type PlanReporter, type PlanReportResult } from './plan-reporter.ts';

export interface GitLabPlanReporterOptions extends GitLabOptions {
  /** A page the status links to (a dashboard, the run's logs); GitLab shows the status without a link otherwise. */
  readonly statusTargetUrl?: string;
}

export const PLAN_STATUS_NAME = 'driftless plan';
/** Findings listed as file:line in the note, as many as GitHub annotates per request. */
export const MAX_NOTE_FINDINGS = 50;
/** GitLab refuses a note over 1,000,000 characters. */
const MAX_NOTE_LENGTH = 1_000_000;
/** GitLab keeps a commit status description to 255 characters. */
const MAX_DESCRIPTION_LENGTH = 255;

interface GitLabNote {
  readonly id?: number;
  readonly body?: string;
  readonly system?: boolean;
}

export class GitLabPlanReporter implements PlanReporter {
  private readonly client: RestClient;
  private readonly projectPath: string;

  constructor(private readonly options: GitLabPlanReporterOptions) {
    this.client = gitLabRestClient(options);
    this.projectPath = projectApiPath(options.project);
  }

  async report(report: PlanReport): Promise<PlanReportResult> {
    // The status first: a failing plan must fail the merge request's status even if the note cannot be written.
    const statusId = await this.postStatus(report);
    const body = noteBody(report);
    const notes = `${this.projectPath}/merge_requests/${encodeURIComponent(report.pullRequestId)}/notes`;
    const existing = await this.findPlanNote(notes, report.pullRequestId);
    if (existing !== undefined) {
      const updated = await this.send<GitLabNote>(`note ${existing} on !${report.pullRequestId}`, {
        method: 'PUT',
        path: `${notes}/${existing}`,
        body: { body },
        expect: [403, 404],
      });
      if (updated.status === 200) {
        return { action: 'updated', commentId: String(updated.body?.id ?? existing), checkId: statusId };
      }
    }
    const posted = await this.send<GitLabNote>(`note on !${report.pullRequestId}`, {
      method: 'POST',
      path: notes,
      body: { body },
    });
    return {
      action: 'posted',
      ...(posted.body?.id === undefined ? {} : { commentId: String(posted.body.id) }),
      checkId: statusId,
    };
  }

  private async findPlanNote(notesPath: string, iid: string): Promise<number | undefined> {
    try {
      for await (const note of this.client.paginate<GitLabNote>({
        path: notesPath,
        query: { sort: 'asc', order_by: 'created_at' },
      })) {
        if (note.system !== true && typeof note.id === 'number' && isPlanNote(note.body)) return note.id;
      }
      return undefined;
    } catch (error) {
      throw this.wrap(`notes of !${iid}`, error);
    }
  }

  private async postStatus(report: PlanReport): Promise<string> {
    const response = await this.send<{ id?: unknown }>(`status on ${report.headCommitId}`, {
      method: 'POST',
      path: `${this.projectPath}/statuses/${report.headCommitId}`,
      body: {
        state: report.failed ? 'failed' : 'success',
        name: PLAN_STATUS_NAME,
        description: statusDescription(report).slice(0, MAX_DESCRIPTION_LENGTH),
        ...(this.options.statusTargetUrl ? { target_url: this.options.statusTargetUrl } : {}),
      },
    });
    if (response.body?.id === undefined) {
      throw new TerminalError(`GitLab status on ${report.headCommitId} in ${this.options.project} returned no id`);
    }
    return String(response.body.id);
  }

  private async send<T>(what: string, request: RestRequest): Promise<RestResponse<T>> {
    try {
      return await this.client.request<T>(request);
    } catch (error) {
      throw this.wrap(what, error);
    }
  }

  private wrap(what: string, error: unknown): RetryableError | TerminalError {
    const reason = error instanceof Error ? error.message : String(error);
    const message = `GitLab ${what} in ${this.options.project} failed: ${reason}`;
    return error instanceof RetryableError
      ? new RetryableError(message, { cause: error })
      : new TerminalError(message, { cause: error });
  }
}

function isPlanNote(body: string | undefined): boolean {
  return (body ?? '').trimStart().startsWith(PLAN_COMMENT_MARKER);
}

/** The marker, the plan as rendered, and the first findings it does not already show at file:line. */
export function noteBody(report: PlanReport): string {
  const body = `${PLAN_COMMENT_MARKER}\n${report.markdown}`;
  const missing = report.diagnostics
    .slice(0, MAX_NOTE_FINDINGS)
    .filter((finding) => !report.markdown.includes(`${finding.file}:${finding.line}`));
  if (missing.length === 0) return body;
  const lines = ['', '#### Findings', '', ...missing.map(findingLine)];
  let note = `${body.trimEnd()}\n`;
  for (const line of lines) {
    if (note.length + line.length + 1 > MAX_NOTE_LENGTH) break;
    note += `${line}\n`;
  }
  return note;
}

function findingLine(finding: Diagnostic): string {
  const where = `${finding.file}:${finding.line}:${finding.column}`.replace(/`/g, "'");
  return `- **${finding.severity}** \`${where}\` \`${finding.code}\` ${escapeMarkdown(finding.message)}`;
}

/** One line: the plan's counts, or why there is no plan. */
function statusDescription(report: PlanReport): string {
  const errors = report.diagnostics.filter((finding) => finding.severity === 'error').length;
  if (report.summary) {
    const counts = summaryCounts(report.summary);
    return errors > 0 ? `${counts}; ${errors} validation ${errors === 1 ? 'error' : 'errors'}` : counts;
  }
  if (errors > 0) return `No plan: ${errors} validation ${errors === 1 ? 'error' : 'errors'}.`;
  return report.failed ? 'No plan: the plan could not be made.' : 'No changes.';
}

function summaryCounts(summary: PlanSummary): string {
  const extra = [
    summary.replace > 0 ? `${summary.replace} replace required` : '',
    summary.wait > 0 ? `${summary.wait} waiting` : '',
  ].filter(Boolean);
  return `Plan: ${summary.create} to create, ${summary.update} to update, ${summary.delete} to delete, ${summary.inSync} in sync${extra.length > 0 ? ` (${extra.join(', ')})` : ''}.`;
}
