/** The plan as a pull-request comment: summary, one table per resource, findings with file:line, nothing secret,
 * nothing injected, and never over CodeCommit's comment size limit. */
import { describe, expect, it } from 'vitest';
import { MAX_COMMENT_LENGTH, renderPlanMarkdown, safeChange } from '../../../shared/plan/markdown.ts';
import type { Action, Plan } from '../../../shared/plan/plan.ts';

function action(overrides: Partial<Action>): Action {
  return {
    type: 'update',
    id: 'EcsService:prod/web',
    kind: 'EcsService',
    wave: 1,
    file: 'services/web.yaml',
    changes: [],
    ignored: [],
    health: 'Healthy',
    ...overrides,
  };
}

function plan(actions: Action[]): Plan {
  return {
    commitId: 'c0ffee0000000000000000000000000000000000',
    actions,
    summary: { create: 0, update: actions.length, delete: 0, replace: 0, wait: 0, inSync: 0 },
    hasChanges: actions.length > 0,
  };
}

describe('plan markdown', () => {
  it('renders a heading, the summary line and a table of path, before and after per resource', () => {
    // Act
    const markdown = renderPlanMarkdown({
      plan: plan([action({ changes: [{ path: '/spec/desiredCount', before: 1, after: 3 }] })]),
      commitId: 'c0ffee0000000000000000000000000000000000',
    });

    // Assess
    expect(markdown).toContain('### driftless plan for `c0ffee000000`');
    expect(markdown).toContain('**Plan: 0 to create, 1 to update, 0 to delete, 0 in sync.**');
    expect(markdown).toContain('#### ~ EcsService `prod/web`: update');
    expect(markdown).toContain('| `/spec/desiredCount` | `1` | `3` |');
  });

  it('masks values under secret-looking names and secret-shaped values the planner let through', () => {
    // Prepare
    const leaked = [
      { path: '/spec/taskDefinition/containerDefinitions/web/environment/DB_PASSWORD', before: 'hunter2', after: 'x' },
      { path: '/spec/parameters/ApiToken', after: 'plain-token-value' },
      {
        path: '/spec/taskDefinition/containerDefinitions/web/environment',
        after: { LOG_LEVEL: 'info', SESSION_SECRET: 'abc123', URL: 'https://user:pa55@db.internal/app' },
      },
      { path: '/spec/tags/note', after: 'AKIAABCDEFGHIJKLMNOP' },
      {
        path: '/spec/taskDefinition/containerDefinitions/web/secrets/DB_PASSWORD',
        after: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/web/db-AbCdEf',
      },
    ];

    // Act
    const markdown = renderPlanMarkdown({ plan: plan([action({ changes: leaked })]), commitId: 'c0ffee' });

    // Assess
    for (const secret of ['hunter2', 'plain-token-value', 'abc123', 'pa55', 'AKIAABCDEFGHIJKLMNOP']) {
      expect(markdown).not.toContain(secret);
    }
    expect(markdown).toContain('LOG_LEVEL');
    expect(markdown).toContain('secret:prod/web/db-AbCdEf');
    expect(safeChange({ path: '/spec/parameters/DbPassword', before: 'a', after: 'b' })).toEqual({
      path: '/spec/parameters/DbPassword',
      before: '(masked)',
      after: '(masked)',
    });
  });

  it('lists validation findings with file:line:column and escapes what it takes from the repository', () => {
    // Act
    const markdown = renderPlanMarkdown({
      commitId: 'c0ffee',
      diagnostics: [
        {
          code: 'E_SCHEMA',
          severity: 'error',
          file: 'services/web.yaml',
          line: 3,
          column: 1,
          message: 'missing <!-- driftless-plan --> **cluster** | <img src=x>',
        },
      ],
    });

    // Assess
    expect(markdown).toContain('**No plan: 1 validation error.**');
    expect(markdown).toContain('`services/web.yaml:3:1` `E_SCHEMA`');
    expect(markdown).not.toContain('<!--');
    expect(markdown).not.toContain('<img');
    expect(markdown).toContain('\\*\\*cluster\\*\\*');
  });

  it('stays under the comment size limit and says how many resources it left out', () => {
    // Prepare
    const many = Array.from({ length: 400 }, (_, index) =>
      action({
        id: `EcsService:prod/service-${index}`,
        changes: [
          { path: '/spec/taskDefinition/containerDefinitions/app/image', before: `app:${index}`, after: 'app:2' },
        ],
      }),
    );

    // Act
    const markdown = renderPlanMarkdown({ plan: plan(many), commitId: 'c0ffee' });

    // Assess
    expect(markdown.length).toBeLessThanOrEqual(MAX_COMMENT_LENGTH);
    expect(markdown).toMatch(/_… and \d+ more resources not shown \(comment size limit\)/);
    expect(markdown).toContain('**Plan: 0 to create, 400 to update');
  });
});
