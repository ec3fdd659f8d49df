/** The fake GitHub's review routes: pull requests, issue comments (the plan comment) and check runs with their
 * annotations, refusing what GitHub refuses (more than 50 annotations a request, a summary over 65,535 characters). */

import { BOT_LOGIN, DOCS, invalid, notFound, page, type Reply, type Route, type RouteContext } from './github-http.ts';
import type { FakeAnnotation, FakeCheckRun } from './github-model.ts';

export function reviewRoutes(context: RouteContext): Route[] {
  const { state, model, at, api, baseUrl } = context;
  const pullJson = (pull: (typeof model.pulls)[number]) => ({
    url: api(`/pulls/${pull.number}`),
    id: pull.number * 10,
    node_id: `PR_${pull.number}`,
    html_url: `https://github.com/${state.owner}/${state.repo}/pull/${pull.number}`,
    number: pull.number,
    state: pull.state,
    locked: false,
    title: pull.title,
    body: pull.body,
    user: { login: BOT_LOGIN, id: 1, type: 'Bot' },
    head: { label: `${state.owner}:${pull.head}`, ref: pull.head, sha: model.branches.get(pull.head) ?? null },
    base: { label: `${state.owner}:${pull.base}`, ref: pull.base, sha: model.branches.get(pull.base) ?? null },
    draft: false,
    merged: false,
  });
  const commentJson = (comment: (typeof model.comments)[number]) => ({
    id: comment.id,
    node_id: `IC_${comment.id}`,
    url: api(`/issues/comments/${comment.id}`),
    html_url: `https://github.com/${state.owner}/${state.repo}/pull/${comment.issueNumber}#issuecomment-${comment.id}`,
    body: comment.body,
    user: {
      login: comment.login,
      id: comment.login === BOT_LOGIN ? 1 : 2,
      type: comment.login === BOT_LOGIN ? 'Bot' : 'User',
    },
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    issue_url: api(`/issues/${comment.issueNumber}`),
    author_association: 'NONE',
  });
  const checkRunJson = (run: FakeCheckRun) => ({
    id: run.id,
    head_sha: run.headSha,
    node_id: `CR_${run.id}`,
    external_id: '',
    url: api(`/check-runs/${run.id}`),
    html_url: `https://github.com/${state.owner}/${state.repo}/runs/${run.id}`,
    details_url: null,
    status: run.status,
    conclusion: run.conclusion,
    started_at: new Date().toISOString(),
    completed_at: run.status === 'completed' ? new Date().toISOString() : null,
    output: {
      ...run.output,
      annotations_count: run.annotations.length,
      annotations_url: api(`/check-runs/${run.id}/annotations`),
    },
    name: run.name,
    check_suite: { id: 1 },
    app: null,
    pull_requests: [],
  });
  const writeCheckRun = (run: FakeCheckRun, body: Record<string, unknown>): Reply | undefined => {
    const output = body.output as
      | { title?: string; summary?: string; text?: string; annotations?: FakeAnnotation[] }
      | undefined;
    if (output) {
      if (typeof output.title !== 'string' || typeof output.summary !== 'string')
        return invalid('output requires title and summary');
      if (output.summary.length > 65_535) return invalid('output.summary is too long (maximum is 65535 characters)');
      if ((output.annotations?.length ?? 0) > 50) return invalid('output.annotations: at most 50 per request');
      run.output = { title: output.title, summary: output.summary, text: output.text ?? null };
      run.annotations.push(...(output.annotations ?? []));
    }
    if (typeof body.status === 'string') run.status = body.status;
    if (typeof body.conclusion === 'string') run.conclusion = body.conclusion;
    run.writes++;
    return undefined;
  };

  return [
    [
      'GET',
      at('/pulls'),
      ({ url }) => {
        const head = url.searchParams.get('head')?.replace(/^[^:]+:/, '');
        const base = url.searchParams.get('base');
        const wanted = url.searchParams.get('state') ?? 'open';
        const pulls = model.pulls.filter(
          (pull) =>
            (head === undefined || pull.head === head) &&
            (base === null || pull.base === base) &&
            (wanted === 'all' || pull.state === wanted),
        );
        return page(pulls.map(pullJson), url, state.maxPageSize, baseUrl());
      },
      'token',
    ],
    [
      'POST',
      at('/pulls'),
      ({ body }) => {
        const head = String(body.head).replace(/^[^:]+:/, '');
        const base = String(body.base);
        if (!model.branches.has(head) || !model.branches.has(base)) {
          return {
            status: 422,
            body: {
              message: 'Validation Failed',
              errors: [{ resource: 'PullRequest', field: 'head', code: 'invalid' }],
              documentation_url: DOCS,
              status: '422',
            },
          };
        }
        if (model.pulls.some((pull) => pull.head === head && pull.base === base && pull.state === 'open')) {
          const message = `A pull request already exists for ${state.owner}:${head}.`;
          return {
            status: 422,
            body: {
              message: 'Validation Failed',
              errors: [{ resource: 'PullRequest', code: 'custom', message }],
              documentation_url: DOCS,
              status: '422',
            },
          };
        }
        const pull = {
          number: model.pulls.length + 1,
          title: String(body.title),
          body: String(body.body ?? ''),
          head,
          base,
          state: 'open' as const,
        };
        model.pulls.push(pull);
        return { status: 201, body: pullJson(pull) };
      },
      'token',
    ],
    [
      'GET',
      at('/issues/(\\d+)/comments'),
      ({ match, url }) => {
        const number = Number(match[1]);
        if (!model.pulls.some((pull) => pull.number === number)) return notFound();
        return page(
          model.comments.filter((comment) => comment.issueNumber === number).map(commentJson),
          url,
          state.maxPageSize,
          baseUrl(),
        );
      },
      'token',
    ],
    [
      'POST',
      at('/issues/(\\d+)/comments'),
      ({ match, body, caller }) => {
        const number = Number(match[1]);
        if (!model.pulls.some((pull) => pull.number === number)) return notFound();
        if (String(body.body).length > 65_536) return invalid('Body is too long (maximum is 65536 characters)');
        const now = new Date().toISOString();
        const comment = {
          id: model.id(),
          issueNumber: number,
          body: String(body.body),
          login: caller as string,
          createdAt: now,
          updatedAt: now,
        };
        model.comments.push(comment);
        return { status: 201, body: commentJson(comment) };
      },
      'token',
    ],
    [
      'PATCH',
      at('/issues/comments/(\\d+)'),
      ({ match, body }) => {
        const comment = model.comments.find((candidate) => candidate.id === Number(match[1]));
        if (!comment) return notFound();
        if (String(body.body).length > 65_536) return invalid('Body is too long (maximum is 65536 characters)');
        comment.body = String(body.body);
        comment.updatedAt = new Date().toISOString();
        return { status: 200, body: commentJson(comment) };
      },
      'token',
    ],
    [
      'POST',
      at('/check-runs'),
      ({ body }) => {
        if (typeof body.name !== 'string' || !model.commits.has(String(body.head_sha)))
          return invalid(`No commit found for SHA: ${body.head_sha}`);
        const run: FakeCheckRun = {
          id: model.id(),
          name: body.name,
          headSha: String(body.head_sha),
          status: 'queued',
          conclusion: null,
          output: { title: null, summary: null, text: null },
          annotations: [],
          writes: 0,
        };
        const refused = writeCheckRun(run, body);
        if (refused) return refused;
        model.checkRuns.push(run);
        return { status: 201, body: checkRunJson(run) };
      },
      'token',
    ],
    [
      'PATCH',
      at('/check-runs/(\\d+)'),
      ({ match, body }) => {
        const run = model.checkRuns.find((candidate) => candidate.id === Number(match[1]));
        if (!run) return notFound();
        return writeCheckRun(run, body) ?? { status: 200, body: checkRunJson(run) };
      },
      'token',
    ],
  ];
}
