import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { renderPlanMarkdown } from '../../../shared/plan/markdown.ts';
import { type GitLabServer, startGitLabServer } from '../../../shared/sim/gitlab-server.ts';
import { type Diagnostic, diagnostic } from '../../../shared/spec/diagnostics.ts';
import { GitLabPlanReporter, noteBody } from '../../../shared/writeback/gitlab-plan-reporter.ts';
import type { PlanReport } from '../../../shared/writeback/plan-reporter.ts';
import { PLAN_COMMENT_MARKER } from '../../../shared/writeback/pull-request-comments.ts';

const PROJECT = 'platform/infra/config';

let server: GitLabServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function gitLab() {
  server = await startGitLabServer({ maxPerPage: 2 });
  const token = randomBytes(16).toString('hex');
  const bot = server.state.addToken(token, 'project_42_bot');
  const project = server.state.addProject(PROJECT);
  const base = project.commit({ branch: 'main', files: { 'services/web.yaml': 'image: web:1\n' } });
  const head = project.commit({ branch: 'feature', files: { 'services/web.yaml': 'image: web:2\n' } });
  const merge = project.openMergeRequest({
    sourceBranch: 'feature',
    targetBranch: 'main',
    title: 'web: image 2',
    description: '',
    author: { id: 1, username: 'jane', name: 'Jane Doe' },
  });
  const reporter = new GitLabPlanReporter({
    project: PROJECT,
    baseUrl: server.url,
    token: async () => token,
    statusTargetUrl: 'https://console.aws.amazon.com/cloudwatch/home#logsV2:log-groups',
  });
  const report: PlanReport = {
    pullRequestId: String(merge.iid),
    baseCommitId: base,
    headCommitId: head,
    markdown: '### driftless plan\n\n**Plan: 0 to create, 1 to update, 0 to delete, 2 in sync.**\n',
    diagnostics: [],
    summary: { create: 0, update: 1, delete: 0, replace: 0, wait: 0, inSync: 2 },
    failed: false,
  };
  return { server, project, merge, reporter, report, bot, head };
}

const ERRORS: readonly Diagnostic[] = [
  diagnostic('E_SCHEMA', { file: 'services/web.yaml', line: 12, column: 5 }, 'spec.desiredCount must be a number'),
  diagnostic('E_TARGET', { file: 'services/api.yaml', line: 3, column: 3 }, 'cluster staging is not allowed'),
];

describe('GitLabPlanReporter', () => {
  it('posts the plan note with its marker and a success status "driftless plan" on the head commit', async () => {
    // Arrange
    const { project, merge, reporter, report, head } = await gitLab();

    // Act
    const result = await reporter.report(report);

    // Assess
    expect(merge.notes.map((note) => note.body)).toEqual([`${PLAN_COMMENT_MARKER}\n${report.markdown}`]);
    expect(project.statuses).toMatchObject([
      {
        sha: head,
        name: 'driftless plan',
        status: 'success',
        description: 'Plan: 0 to create, 1 to update, 0 to delete, 2 in sync.',
        targetUrl: 'https://console.aws.amazon.com/cloudwatch/home#logsV2:log-groups',
      },
    ]);
    expect(result).toEqual({
      action: 'posted',
      commentId: String(merge.notes[0]?.id),
      checkId: String(project.statuses[0]?.id),
    });
  });

  it('updates its one note in place on a later push, finding it past the first page of notes', async () => {
    // Arrange
    const { server: fake, project, merge, reporter, report } = await gitLab();
    project.addNote(merge, 'added 1 commit', { id: 1, username: 'jane', name: 'Jane Doe' }, true);
    for (const text of ['looks good', 'one question']) {
      project.addNote(merge, text, { id: 1, username: 'jane', name: 'Jane Doe' });
    }
    await reporter.report(report);
    project.addNote(merge, 'answered', { id: 1, username: 'jane', name: 'Jane Doe' });
    const newHead = project.commit({ branch: 'feature', files: { 'services/web.yaml': 'image: web:3\n' } });
    const before = fake.state.requests.length;

    // Act
    const result = await reporter.report({ ...report, headCommitId: newHead, markdown: '### driftless plan v2\n' });

    // Assess
    const planNotes = merge.notes.filter((note) => note.body.startsWith(PLAN_COMMENT_MARKER));
    expect(planNotes.map((note) => note.body)).toEqual([`${PLAN_COMMENT_MARKER}\n### driftless plan v2\n`]);
    expect(result).toMatchObject({ action: 'updated', commentId: String(planNotes[0]?.id) });
    expect(project.statuses.map((status) => status.sha)).toEqual([report.headCommitId, newHead]);
    expect(
      fake.state.requests
        .slice(before)
        .map((request) => `${request.method} ${request.path.replace(/^.*\/projects\/[^/]+\//, '')}`),
    ).toEqual([
      `POST statuses/${newHead}`,
      `GET merge_requests/${merge.iid}/notes`,
      `GET merge_requests/${merge.iid}/notes`,
      `PUT merge_requests/${merge.iid}/notes/${planNotes[0]?.id}`,
    ]);
  });

  it('fails the status when the plan fails, and lists findings at file:line the rendered plan does not show', async () => {
    // Arrange
    const { project, merge, reporter, report } = await gitLab();
    const { summary: _summary, ...withoutPlan } = report;

    // Act
    await reporter.report({
      ...withoutPlan,
      markdown: '### driftless plan\n\n**No plan: 2 validation errors.**\n',
      diagnostics: ERRORS,
      failed: true,
    });

    // Assess
    expect(project.statuses[0]).toMatchObject({ status: 'failed', description: 'No plan: 2 validation errors.' });
    const body = merge.notes[0]?.body ?? '';
    expect(body).toContain('`services/web.yaml:12:5` `E_SCHEMA` spec.desiredCount must be a number');
    expect(body).toContain('`services/api.yaml:3:3` `E_TARGET` cluster staging is not allowed');
  });

  it('adds nothing to a plan rendered with its findings: they are already at file:line', () => {
    // Arrange
    const markdown = renderPlanMarkdown({ diagnostics: ERRORS, commitId: 'a'.repeat(40) });

    // Act
    const body = noteBody({
      pullRequestId: '1',
      baseCommitId: 'b'.repeat(40),
      headCommitId: 'a'.repeat(40),
      markdown,
      diagnostics: ERRORS,
      failed: true,
    });

    // Assess
    expect(body).toBe(`${PLAN_COMMENT_MARKER}\n${markdown}`);
  });

  it('posts its own note when the marked note is someone else’s (GitLab lets only the author edit it)', async () => {
    // Arrange
    const { project, merge, reporter, report, bot } = await gitLab();
    const copied = project.addNote(merge, `${PLAN_COMMENT_MARKER}\ncopied by hand`, {
      id: 1,
      username: 'jane',
      name: 'Jane Doe',
    });

    // Act
    const result = await reporter.report(report);

    // Assess
    expect(result.action).toBe('posted');
    expect(copied.body).toBe(`${PLAN_COMMENT_MARKER}\ncopied by hand`);
    expect(merge.notes.at(-1)).toMatchObject({ body: `${PLAN_COMMENT_MARKER}\n${report.markdown}`, author: bot });
  });
});
