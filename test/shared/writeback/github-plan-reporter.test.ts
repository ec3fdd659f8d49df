import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../../shared/spec/diagnostics.ts';
import { CHECK_RUN_NAME, GitHubPlanReporter } from '../../../shared/writeback/github-plan-reporter.ts';
import type { PlanReport } from '../../../shared/writeback/plan-reporter.ts';
import { startTestGitHub, type TestGitHub } from '../../support/github.ts';

const MARKER = '<!-- driftless-plan -->';

async function pullRequest(): Promise<{
  github: TestGitHub;
  base: string;
  head: string;
  reporter: GitHubPlanReporter;
}> {
  const github = await startTestGitHub();
  const model = github.server.state.repository;
  const base = model.commit('main', { 'services/web.yaml': 'a\n' });
  model.branches.set('feature', base);
  const head = model.commit('feature', { 'services/web.yaml': 'b\n' });
  model.pulls.push({ number: 7, title: 'web: b', body: '', head: 'feature', base: 'main', state: 'open' });
  return { github, base, head, reporter: new GitHubPlanReporter(github.options) };
}

function errorAt(file: string, line: number): Diagnostic {
  return { code: 'E_SCHEMA', severity: 'error', file, line, column: 3, message: `bad value on line ${line}` };
}

function reportOf(fields: Partial<PlanReport> & Pick<PlanReport, 'baseCommitId' | 'headCommitId'>): PlanReport {
  return {
    pullRequestId: '7',
    markdown: '### driftless plan\n\n1 to update',
    diagnostics: [],
    summary: { create: 0, update: 1, delete: 0, replace: 0, wait: 0, inSync: 2 },
    failed: false,
    ...fields,
  };
}

describe('GitHubPlanReporter against the fake GitHub', () => {
  it('puts 120 findings on a failing check run in batches of 50 (one create, two updates) and posts the comment', async () => {
    // Arrange
    const { github, base, head, reporter } = await pullRequest();
    const diagnostics = Array.from({ length: 120 }, (_, i) => errorAt(`services/s${i % 3}.yaml`, i + 1));
    const markdown = '### driftless plan\n\nValidation failed: 120 errors';

    // Act
    const result = await reporter.report(
      reportOf({ baseCommitId: base, headCommitId: head, markdown, diagnostics, failed: true, summary: undefined }),
    );

    // Assess
    const [run] = github.server.state.repository.checkRuns;
    expect(github.calls()).toEqual([
      'POST /check-runs',
      `PATCH /check-runs/${run?.id}`,
      `PATCH /check-runs/${run?.id}`,
      'GET /issues/7/comments',
      'POST /issues/7/comments',
    ]);
    const batches = github.server.state.requests
      .filter((request) => request.path.includes('/check-runs'))
      .map((request) => (request.body as { output: { annotations: unknown[] } }).output.annotations.length);
    expect(batches).toEqual([50, 50, 20]);
    expect(run).toMatchObject({
      name: CHECK_RUN_NAME,
      headSha: head,
      status: 'completed',
      conclusion: 'failure',
      output: { title: 'Plan failed: 120 errors', summary: markdown },
      writes: 3,
    });
    expect(run?.annotations).toHaveLength(120);
    expect(run?.annotations[119]).toEqual({
      path: 'services/s2.yaml',
      start_line: 120,
      end_line: 120,
      start_column: 3,
      end_column: 3,
      annotation_level: 'failure',
      title: 'E_SCHEMA',
      message: 'bad value on line 120',
    });
    const [comment] = github.server.state.repository.comments;
    expect(comment?.body).toBe(`${MARKER}\n${markdown}`);
    expect(result).toEqual({ action: 'posted', commentId: String(comment?.id), checkId: String(run?.id) });
  });

  it('edits its one comment in place on the next push, ignoring comments that only quote the marker', async () => {
    // Arrange
    const { github, base, head, reporter } = await pullRequest();
    const model = github.server.state.repository;
    const first = await reporter.report(reportOf({ baseCommitId: base, headCommitId: head }));
    const newHead = model.commit('feature', { 'services/web.yaml': 'c\n' });
    const now = new Date().toISOString();
    for (let i = 0; i < 5; i++) {
      model.comments.push({
        id: model.id(),
        issueNumber: 7,
        body: `> ${MARKER} quoted ${i}`,
        login: 'jane',
        createdAt: now,
        updatedAt: now,
      });
    }
    github.server.state.maxPageSize = 2;
    const before = github.server.state.requests.length;

    // Act
    const second = await reporter.report(
      reportOf({
        baseCommitId: base,
        headCommitId: newHead,
        markdown: '### driftless plan\n\nNo changes',
        summary: undefined,
      }),
    );

    // Assess
    expect(second).toMatchObject({ action: 'updated', commentId: first.commentId });
    expect(model.comments.filter((comment) => comment.body.startsWith(MARKER))).toHaveLength(1);
    expect(model.comments.find((comment) => String(comment.id) === first.commentId)?.body).toBe(
      `${MARKER}\n### driftless plan\n\nNo changes`,
    );
    expect(model.checkRuns.map((run) => run.headSha)).toEqual([head, newHead]);
    const listed = github.server.state.requests.slice(before).filter((request) => request.path.endsWith('/comments'));
    expect(listed.map((request) => request.query.page ?? '1')).toEqual(['1']);
  });

  it('pages through the comments to find its own when it is not on the first page', async () => {
    // Arrange
    const { github, base, head, reporter } = await pullRequest();
    const model = github.server.state.repository;
    const now = new Date().toISOString();
    for (let i = 0; i < 5; i++) {
      model.comments.push({
        id: model.id(),
        issueNumber: 7,
        body: `looks good ${i}`,
        login: 'jane',
        createdAt: now,
        updatedAt: now,
      });
    }
    const first = await reporter.report(reportOf({ baseCommitId: base, headCommitId: head }));
    github.server.state.maxPageSize = 2;
    const before = github.server.state.requests.length;

    // Act
    const second = await reporter.report(reportOf({ baseCommitId: base, headCommitId: head }));

    // Assess
    expect(second).toMatchObject({ action: 'updated', commentId: first.commentId });
    const pages = github.server.state.requests
      .slice(before)
      .filter((request) => request.method === 'GET')
      .map((request) => request.query.page ?? '1');
    expect(pages).toEqual(['1', '2', '3']);
    expect(model.comments).toHaveLength(6);
  });

  it('passes a clean plan (success, titled by its changes) and a plan with warnings only (neutral)', async () => {
    // Arrange
    const { github, base, head, reporter } = await pullRequest();
    const warning: Diagnostic = {
      code: 'W_IMAGE_TAG',
      severity: 'warning',
      file: 'services/web.yaml',
      line: 12,
      column: 16,
      message: 'the image uses :latest',
    };

    // Act
    await reporter.report(reportOf({ baseCommitId: base, headCommitId: head }));
    await reporter.report(reportOf({ baseCommitId: base, headCommitId: head, diagnostics: [warning] }));

    // Assess
    const [clean, warned] = github.server.state.repository.checkRuns;
    expect(clean).toMatchObject({ conclusion: 'success', output: { title: '1 to update' }, annotations: [] });
    expect(warned).toMatchObject({ conclusion: 'neutral', output: { title: '1 to update; 1 warning' } });
    expect(warned?.annotations).toEqual([expect.objectContaining({ annotation_level: 'warning', start_line: 12 })]);
  });

  it('cuts a plan longer than GitHub takes instead of failing the report, and posts again when its comment was deleted', async () => {
    // Arrange
    const { github, base, head, reporter } = await pullRequest();
    const model = github.server.state.repository;
    await reporter.report(reportOf({ baseCommitId: base, headCommitId: head }));
    const [deleted] = model.comments;
    // Deleted by someone between our listing and our edit: the edit answers 404.
    const racing = new GitHubPlanReporter({
      ...github.options,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (init?.method === 'GET' && String(input).includes('/issues/7/comments')) model.comments.splice(0);
        return response;
      },
    });
    const huge = `### driftless plan\n\n${'x'.repeat(70_000)}`;

    // Act
    const result = await racing.report(reportOf({ baseCommitId: base, headCommitId: head, markdown: huge }));

    // Assess
    expect(result.action).toBe('posted');
    expect(github.calls().slice(-3)).toEqual([
      'GET /issues/7/comments',
      `PATCH /issues/comments/${deleted?.id}`,
      'POST /issues/7/comments',
    ]);
    expect(result.commentId).not.toBe(String(deleted?.id));
    expect(model.checkRuns[1]?.output.summary?.length).toBeLessThanOrEqual(65_535);
    expect(model.checkRuns[1]?.output.summary).toMatch(/cut at GitHub’s length limit\)$/);
    expect(model.comments[0]?.body.length).toBeLessThanOrEqual(65_536);
  });
});
