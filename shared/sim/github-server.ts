/** A fake GitHub REST API on 127.0.0.1 for tests and the demo: App authentication (RS256 JWT, installation tokens),
 * the Git database, compare, pull requests, issue comments and check runs, answered with the documented shapes and
 * statuses, plus switches for small pages, truncated trees, rate limits, a deleted branch and a force-push. */
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gitRoutes } from './github-git-routes.ts';
import {
  BOT_LOGIN,
  DOCS,
  type FakeGitHubState,
  notFound,
  type RateLimitAnswer,
  type Reply,
  routeContext,
} from './github-http.ts';
import { FakeGitHubRepository } from './github-model.ts';
import { reviewRoutes } from './github-review-routes.ts';

export type { FakeGitHubState, RateLimitAnswer, RecordedRequest } from './github-http.ts';
export { FakeGitHubRepository } from './github-model.ts';

export interface GitHubServerOptions {
  readonly owner?: string;
  readonly repo?: string;
  readonly appId?: number;
  readonly installationId?: number;
  /** The App's public key: App JWTs are checked against it. Without it, App authentication is refused. */
  readonly appPublicKey?: KeyObject | string;
  /** Tokens accepted as they are (a personal access token or Actions' GITHUB_TOKEN). */
  readonly staticTokens?: readonly string[];
}

export interface FakeGitHub {
  readonly url: string;
  readonly state: FakeGitHubState;
  close(): Promise<void>;
}

export async function startGitHubServer(options: GitHubServerOptions = {}): Promise<FakeGitHub> {
  const state: FakeGitHubState = {
    owner: options.owner ?? 'octo-org',
    repo: options.repo ?? 'platform-config',
    installationId: options.installationId ?? 4242,
    repository: new FakeGitHubRepository(),
    requests: [],
    accessTokens: new Map(),
    tokenLifetimeSeconds: 3600,
    maxPageSize: 100,
    treeEntryLimit: 100_000,
    compareFileLimit: 300,
    rateLimits: [],
  };
  const publicKey = options.appPublicKey === undefined ? undefined : createPublicKey(options.appPublicKey);
  const appId = String(options.appId ?? 1);
  let baseUrl = '';

  const callerOf = (request: IncomingMessage): string | undefined => {
    const token = /^(?:Bearer|token) (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (token === undefined) return undefined;
    if (options.staticTokens?.includes(token)) return 'octocat';
    const issued = state.accessTokens.get(token);
    if (issued) return issued.expiresAt > Date.now() ? BOT_LOGIN : undefined;
    return publicKey && validAppJwt(token, publicKey, appId) ? 'app' : undefined;
  };

  const context = routeContext(state, () => baseUrl);
  const routes = [...gitRoutes(context), ...reviewRoutes(context)];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const text = Buffer.concat(chunks).toString('utf8');
      const method = request.method ?? 'GET';
      let reply: Reply;
      try {
        const body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
        state.requests.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), body });
        reply = answer(method, url, body, callerOf(request));
      } catch (error) {
        // GitHub answers a body it cannot parse with 400; a bug in the fake shows as a 500 naming it.
        const problem = error instanceof SyntaxError ? 'Problems parsing JSON' : String(error);
        reply = {
          status: error instanceof SyntaxError ? 400 : 500,
          body: { message: problem, documentation_url: DOCS },
        };
      }
      send(response, reply);
    });
  });

  const answer = (method: string, url: URL, body: Record<string, unknown>, caller: string | undefined): Reply => {
    const limit = state.rateLimits.shift();
    if (limit) return rateLimited(limit);
    for (const [routeMethod, pattern, handler, who] of routes) {
      const match = method === routeMethod ? pattern.exec(url.pathname) : null;
      if (!match) continue;
      const allowed = who === 'app' ? caller === 'app' : caller !== undefined && caller !== 'app';
      if (!allowed)
        return { status: 401, body: { message: 'Bad credentials', documentation_url: DOCS, status: '401' } };
      return handler({ method, url, body, match, caller });
    }
    return notFound();
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: baseUrl,
    state,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** An App JWT: RS256 over header.payload with the App's key, issued by the App, at most ten minutes long. */
function validAppJwt(token: string, publicKey: KeyObject, appId: string): boolean {
  const [header, payload, signature] = token.split('.');
  if (header === undefined || payload === undefined || signature === undefined) return false;
  const signed = verify(
    'RSA-SHA256',
    Buffer.from(`${header}.${payload}`),
    publicKey,
    Buffer.from(signature, 'base64url'),
  );
  if (!signed) return false;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
    iat?: number;
    exp?: number;
    iss?: unknown;
  };
  const now = Math.floor(Date.now() / 1000);
  const { alg } = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: string };
  return (
    alg === 'RS256' &&
    String(claims.iss) === appId &&
    typeof claims.iat === 'number' &&
    typeof claims.exp === 'number' &&
    claims.iat <= now &&
    claims.exp > now &&
    claims.exp - claims.iat <= 660
  );
}

function rateLimited(limit: RateLimitAnswer): Reply {
  if (limit.kind === 'secondary') {
    const message = 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.';
    return {
      status: 429,
      body: { message, documentation_url: DOCS },
      headers: { 'retry-after': String(limit.retryAfterSeconds) },
    };
  }
  const reset = Math.ceil(Date.now() / 1000) + limit.resetInSeconds;
  return {
    status: 403,
    body: { message: 'API rate limit exceeded for installation ID 4242.', documentation_url: DOCS },
    headers: {
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-used': '5000',
      'x-ratelimit-reset': String(reset),
      'x-ratelimit-resource': 'core',
    },
  };
}

function send(response: ServerResponse, reply: Reply): void {
  const headers = {
    'content-type': 'application/json; charset=utf-8',
    'x-github-api-version-selected': '2022-11-28',
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': '4999',
    ...reply.headers,
  };
  response.writeHead(reply.status, headers).end(reply.body === undefined ? '' : JSON.stringify(reply.body));
}
