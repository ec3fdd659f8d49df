/** Who the CLI records as the caller of pause and resume. */
import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { callerIdentity, localIdentity } from '../../cli/identity.ts';

describe('callerIdentity', () => {
  it('is local:<os user> against a local endpoint, without asking STS', async () => {
    expect(await callerIdentity({ endpoint: 'http://127.0.0.1:8000' })).toBe(`local:${userInfo().username}`);
    expect(localIdentity()).toBe(`local:${userInfo().username}`);
  });
});
