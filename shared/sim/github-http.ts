/** The fake GitHub's plumbing shared by its routes (shared/sim/github-server.ts): the state tests switch, a route's
 * call and reply, GitHub's documented error bodies and its Link-header pagination. */
import type { FakeGitHubRepository } from './github-model.ts';

export interface RecordedRequest {
  readonly method: string;
  /** The path without the query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** A rate-limit answer the fake gives instead of serving the next request. */
export type RateLimitAnswer =
  | { readonly kind: 'primary'; readonly resetInSeconds: number }
  | { readonly kind: 'secondary'; readonly retryAfterSeconds: number };

export interface FakeGitHubState {
  readonly owner: string;
  readonly repo: string;
  readonly installationId: number;
  readonly repository: FakeGitHubRepository;
  readonly requests: RecordedRequest[];
  /** Installation tokens issued, by token. */
  readonly accessTokens: Map<string, { readonly expiresAt: number }>;
  /** Lifetime of an installation token (GitHub: one hour). */
  tokenLifetimeSeconds: number;
  /** The largest page served, whatever per_page asks (GitHub: 100). */
  maxPageSize: number;
  /** A recursive tree listing longer than this comes back `truncated` (GitHub: 100,000 entries or 7 MB). */
  treeEntryLimit: number;
  /** Files in a compare answer (GitHub: 300). */
  compareFileLimit: number;
  /** Answered, in order, instead of the next requests. */
  readonly rateLimits: RateLimitAnswer[];
}

export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Call {
  readonly method: string;
  readonly url: URL;
  readonly body: Record<string, unknown>;
  readonly match: RegExpExecArray;
  /** 'app' for a valid App JWT, the caller's login for a valid token. */
  readonly caller: string | undefined;
}

/** Who may call a route: the App itself (a JWT) or an installation or personal token. */
export type Route = readonly [method: string, pattern: RegExp, handler: (call: Call) => Reply, caller: 'app' | 'token'];

export interface RouteContext {
  readonly state: FakeGitHubState;
  readonly model: FakeGitHubRepository;
  /** A pattern for a path under /repos/{owner}/{repo}. */
  at(pattern: string): RegExp;
  /** The absolute API URL of a path under /repos/{owner}/{repo}. */
  api(path: string): string;
  baseUrl(): string;
  commitJson(sha: string): unknown;
}

export const DOCS = 'https://docs.github.com/rest';
export const BOT_LOGIN = 'driftless[bot]';

export function routeContext(state: FakeGitHubState, baseUrl: () => string): RouteContext {
  const model = state.repository;
  const r = `/repos/${state.owner}/${state.repo}`;
  const api = (path: string) => `${baseUrl()}${r}${path}`;
  return {
    state,
    model,
    at: (pattern) => new RegExp(`^${r.replace(/[.]/g, '\\.')}${pattern}$`),
    api,
    baseUrl,
    commitJson: (sha) => {
      const commit = model.commitOf(sha);
      return {
        sha,
        node_id: `C_${sha.slice(0, 12)}`,
        url: api(`/git/commits/${sha}`),
        html_url: `https://github.com/${state.owner}/${state.repo}/commit/${sha}`,
        author: commit.author,
        committer: commit.committer,
        message: commit.message,
        tree: { sha: commit.tree, url: api(`/git/trees/${commit.tree}`) },
        parents: commit.parents.map((parent) => ({ sha: parent, url: api(`/git/commits/${parent}`) })),
        verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
      };
    },
  };
}

/** One page of a list, with GitHub's Link header (`next`, `last`) when there are more. */
export function page(items: readonly unknown[], url: URL, maxPageSize: number, baseUrl: string): Reply {
  const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), maxPageSize, 100);
  const number = Number(url.searchParams.get('page') ?? 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (to: number) => {
    const target = new URL(`${baseUrl}${url.pathname}${url.search}`);
    target.searchParams.set('per_page', String(perPage));
    target.searchParams.set('page', String(to));
    return target.toString();
  };
  const links = number < last ? [`<${link(number + 1)}>; rel="next"`, `<${link(last)}>; rel="last"`] : [];
  return {
    status: 200,
    body: items.slice((number - 1) * perPage, number * perPage),
    headers: links.length > 0 ? { link: links.join(', ') } : {},
  };
}

export function notFound(message = 'Not Found'): Reply {
  return { status: 404, body: { message, documentation_url: DOCS, status: '404' } };
}

export function invalid(message: string): Reply {
  return { status: 422, body: { message, documentation_url: DOCS, status: '422' } };
}

export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
