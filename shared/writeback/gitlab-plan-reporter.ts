/** PLACEHOLDER (issue 16, webhook branch): the GitLab PlanReporter; the real module replaces this file. */
import { TerminalError } from '../errors.ts';
import type { PlanReport, PlanReporter, PlanReportResult } from './plan-reporter.ts';

export interface GitLabPlanReporterOptions {
  readonly project: string;
  readonly baseUrl?: string;
  readonly token: () => Promise<string>;
  readonly fetch?: typeof fetch;
}

export class GitLabPlanReporter implements PlanReporter {
  constructor(readonly options: GitLabPlanReporterOptions) {}

  async report(_report: PlanReport): Promise<PlanReportResult> {
    throw new TerminalError('not built yet');
  }
}
