import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GitReadError, TerminalError } from '../../../shared/errors.ts';
import { GitHubGitSource } from '../../../shared/source/github.ts';
import { GitHubAppAuth, StaticGitHubToken } from '../../../shared/source/github-auth.ts';
import { loadRepository } from '../../../shared/spec/repository.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../../support/fixtures.ts';
import { OWNER, REPO, startTestGitHub } from '../../support/github.ts';

const APP_ID = 123456;

/** A fresh App key pair per test: GitHub issues PKCS#1 PEM private keys. */
function appKeys() {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
}

function claimsOf(jwt: string): { iat: number; exp: number; iss: string } {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

describe('GitHubAppAuth against the fake GitHub', () => {
  it('finds the installation, mints one repository-scoped token and reuses it across a whole repository load', async () => {
    // Arrange
    const keys = appKeys();
    const github = await startTestGitHub({ appId: APP_ID, appPublicKey: keys.publicKey });
    github.server.state.repository.commit('main', await readTree(EXAMPLE_REPO_DIR));
    const jwts: string[] = [];
    const auth = new GitHubAppAuth({
      appId: APP_ID,
      privateKey: async () => keys.privateKey,
      owner: OWNER,
      repo: REPO,
      apiUrl: github.server.url,
      fetch: async (input, init) => {
        const authorization = new Headers(init?.headers).get('authorization') ?? '';
        if (authorization.split('.').length === 3) jwts.push(authorization.replace(/^Bearer /, ''));
        return fetch(input, init);
      },
    });
    const source = new GitHubGitSource({ ...github.options, auth });

    // Act
    const snapshot = await loadRepository(source, { ref: 'main' });
    await loadRepository(source, { ref: 'main' });

    // Assess
    expect(snapshot.diagnostics).toEqual([]);
    const calls = github.calls();
    expect(calls.slice(0, 2)).toEqual(['GET /installation', 'POST /app/installations/4242/access_tokens']);
    expect(calls.filter((call) => call.includes('access_tokens'))).toHaveLength(1);
    expect(calls.length).toBeGreaterThan(8);
    expect(github.server.state.requests[1]?.body).toEqual({ repositories: [REPO] });
    const now = Math.floor(Date.now() / 1000);
    expect(jwts).toHaveLength(2);
    for (const jwt of jwts) {
      const claims = claimsOf(jwt);
      expect(claims.iss).toBe(String(APP_ID));
      expect(now - claims.iat).toBeGreaterThanOrEqual(59);
      expect(claims.exp - claims.iat).toBeLessThanOrEqual(600);
    }
  });

  it('mints again once the token is within five minutes of expiring, without looking up a given installation', async () => {
    // Arrange
    const keys = appKeys();
    const github = await startTestGitHub({ appId: APP_ID, appPublicKey: keys.publicKey, installationId: 77 });
    github.server.state.tokenLifetimeSeconds = 5 * 60;
    const auth = new GitHubAppAuth({
      appId: APP_ID,
      installationId: 77,
      privateKey: async () => keys.privateKey,
      owner: OWNER,
      repo: REPO,
      apiUrl: github.server.url,
    });

    // Act
    const first = await auth.token();
    const second = await auth.token();
    github.server.state.tokenLifetimeSeconds = 3600;
    const third = await auth.token();
    const fourth = await auth.token();

    // Assess
    expect(new Set([first, second, third]).size).toBe(3);
    expect(fourth).toBe(third);
    expect(github.calls()).toEqual(Array.from({ length: 3 }, () => 'POST /app/installations/77/access_tokens'));
  });

  it('shares one token request among concurrent callers on a cold start', async () => {
    // Arrange
    const keys = appKeys();
    const github = await startTestGitHub({ appId: APP_ID, appPublicKey: keys.publicKey });
    const auth = new GitHubAppAuth({
      appId: APP_ID,
      privateKey: async () => keys.privateKey,
      owner: OWNER,
      repo: REPO,
      apiUrl: github.server.url,
    });

    // Act
    const tokens = await Promise.all(Array.from({ length: 10 }, () => auth.token()));

    // Assess
    expect(new Set(tokens).size).toBe(1);
    expect(github.calls()).toEqual(['GET /installation', 'POST /app/installations/4242/access_tokens']);
  });

  it('is refused (a terminal read error, never an empty repository) when the key is not the App’s', async () => {
    // Arrange
    const github = await startTestGitHub({ appId: APP_ID, appPublicKey: appKeys().publicKey });
    const otherKey = appKeys().privateKey;
    const auth = new GitHubAppAuth({
      appId: APP_ID,
      privateKey: async () => otherKey,
      owner: OWNER,
      repo: REPO,
      apiUrl: github.server.url,
    });
    const source = new GitHubGitSource({ ...github.options, auth });

    // Act
    const failure = await source.resolveRef('main').catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(GitReadError);
    expect(String(failure)).toMatch(/401 Bad credentials/);
  });

  it('reads the private key again after a failed read instead of keeping the failure', async () => {
    // Arrange
    const keys = appKeys();
    const github = await startTestGitHub({ appId: APP_ID, appPublicKey: keys.publicKey });
    let reads = 0;
    const auth = new GitHubAppAuth({
      appId: APP_ID,
      privateKey: async () => {
        reads++;
        if (reads === 1) throw new Error('Secrets Manager throttled');
        return keys.privateKey;
      },
      owner: OWNER,
      repo: REPO,
      apiUrl: github.server.url,
    });

    // Act
    const failure = await auth.token().catch((error: unknown) => error);
    const token = await auth.token();

    // Assess
    expect(String(failure)).toMatch(/throttled/);
    expect(token).toMatch(/^ghs_/);
    expect(reads).toBe(2);
  });
});

describe('StaticGitHubToken', () => {
  it('answers the token it was given and refuses an empty one', async () => {
    expect(await new StaticGitHubToken('ghp_example').token()).toBe('ghp_example');
    expect(() => new StaticGitHubToken(' ')).toThrow(TerminalError);
  });
});
