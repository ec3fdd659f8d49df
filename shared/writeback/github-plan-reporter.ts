/** PLACEHOLDER (issue 16, webhook branch): the GitHub PlanReporter; the real module replaces this file. */
import { TerminalError } from '../errors.ts';
import type { PlanReport, PlanReporter, PlanReportResult } from './plan-reporter.ts';

export interface GitHubPlanReporterOptions {
  readonly owner: string;
  readonly repo: string;
  readonly auth: { token(): Promise<string> };
  readonly apiUrl?: string;
  readonly fetch?: typeof fetch;
}

export class GitHubPlanReporter implements PlanReporter {
  constructor(readonly options: GitHubPlanReporterOptions) {}

  async report(_report: PlanReport): Promise<PlanReportResult> {
    throw new TerminalError('not built yet');
  }
}
