/** The plan masks with the same detector the checks refuse with: a secret a person typed into the console (live
 * state is not validated) shows as (masked) in a plan, whichever field it is in. */
import { describe, expect, it } from 'vitest';
import type { FieldChange } from '../../../shared/plan/diff.ts';
import { MASKED_VALUE, mask } from '../../../shared/plan/mask.ts';

const CONTAINER = '/spec/taskDefinition/containerDefinitions/web';

describe('masking a plan', () => {
  it.each([
    ['a password flag in a command', `${CONTAINER}/command`, ['./server', '--db-password', 'hunter2']],
    ['a URL password in a health check', `${CONTAINER}/healthCheck/command`, ['CMD-SHELL', 'curl http://a:pw@x/']],
    ['a token in a docker label', `${CONTAINER}/dockerLabels/build`, 'glpat-xY3mK9pQ2rT7vW1zA4bC'],
    ['a value under a secret-named tag', '/spec/tags/api-token', 'tok-83b1c2d9'],
  ])('masks %s found live', (_what, path, live) => {
    // Act
    const [change] = mask<FieldChange>([{ path, before: live }]);

    // Assess
    expect(change).toEqual({ path, before: MASKED_VALUE });
  });

  it('masks a name/value pair whose name is a secret, inside a larger value', () => {
    // Act
    const [change] = mask<FieldChange>([
      {
        path: `${CONTAINER}/proxyConfiguration`,
        after: {
          properties: [
            { name: 'APP_PASSWORD', value: 'hunter2' },
            { name: 'PORT', value: '80' },
          ],
        },
      },
    ]);

    // Assess
    expect(change?.after).toEqual({
      properties: [
        { name: 'APP_PASSWORD', value: MASKED_VALUE },
        { name: 'PORT', value: '80' },
      ],
    });
  });

  it('does not repeat a name that is itself a secret, in the path or in a value', () => {
    // Prepare
    const token = 'xoxb-1234567890-abcdefghijkl';

    // Act
    const changes = mask<FieldChange>([
      { path: `${CONTAINER}/dockerLabels/${token}`, after: 'notify' },
      { path: `${CONTAINER}/dockerLabels`, after: { [token]: 'notify', team: 'web' } },
    ]);

    // Assess
    expect(JSON.stringify(changes)).not.toContain(token);
    expect(changes[0]?.path).toBe(`${CONTAINER}/dockerLabels/${MASKED_VALUE}`);
    expect(changes[1]?.after).toEqual({ [`${MASKED_VALUE} 1`]: 'notify', team: 'web' });
  });

  it('leaves ordinary commands, references and settings alone', () => {
    // Prepare
    const changes: FieldChange[] = [
      { path: `${CONTAINER}/command`, after: ['bundle', 'exec', 'sidekiq'] },
      { path: `${CONTAINER}/secrets/DB_PASSWORD`, after: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db' },
      { path: `${CONTAINER}/environment/DB_PASSWORD_FILE`, after: '/run/secrets/db' },
    ];

    // Act
    const masked = mask(changes);

    // Assess
    expect(masked).toEqual(changes);
  });
});
