/** A fake GitLab served on 127.0.0.1 by node:http: API v4 under an optional path prefix (a self-managed instance at
 * https://host/gitlab), token authentication, offset pagination with Link and x-* headers, rate-limit answers on
 * demand, and a record of every request; for tests, the bench and the demo, never for shipped functions. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeGitLabProject, type FakeGitLabUser } from './gitlab-model.ts';
import { answer, type FakeAnswer } from './gitlab-routes.ts';

export type { FakeCommitInput, FakeGitLabProject, FakeGitLabUser } from './gitlab-model.ts';

export interface GitLabServerOptions {
  /** Where the instance lives under the host, e.g. '/gitlab' for https://host/gitlab. @default '' */
  readonly pathPrefix?: string;
  /** The largest per_page honoured (GitLab's is 100); a small one makes every listing paginate. @default 100 */
  readonly maxPerPage?: number;
}

export interface RecordedRequest {
  readonly method: string;
  /** The path as sent, still percent-encoded, without the query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly status: number;
  readonly body?: unknown;
}

/** How the next throttled answers say when to come back: `Retry-After`, or only GitLab's `RateLimit-Reset`. */
export type ThrottleStyle = 'retry-after' | 'ratelimit-reset';

interface Throttle {
  readonly style: ThrottleStyle;
  readonly seconds: number;
  readonly method?: string;
  readonly path?: string;
}

export class FakeGitLabState {
  readonly projects = new Map<string, FakeGitLabProject>();
  readonly tokens = new Map<string, FakeGitLabUser>();
  readonly requests: RecordedRequest[] = [];
  maxPerPage: number;
  private throttles: Throttle[] = [];
  private lastId = 1000;

  constructor(options: GitLabServerOptions) {
    this.maxPerPage = options.maxPerPage ?? 100;
  }

  addProject(path: string): FakeGitLabProject {
    const project = new FakeGitLabProject(this.newId(), path, () => this.newId());
    this.projects.set(path, project);
    return project;
  }

  /** A token the server accepts (as `PRIVATE-TOKEN` or `Authorization: Bearer`), acting as a user of that name. */
  addToken(token: string, username: string): FakeGitLabUser {
    const user = { id: this.newId(), username, name: username };
    this.tokens.set(token, user);
    return user;
  }

  /** The next `count` requests (those to a path containing `only.path` with `only.method`, when given) are
   * answered 429, as GitLab's rate limiter does. */
  throttle(
    count: number,
    style: ThrottleStyle = 'retry-after',
    seconds = 1,
    only: { readonly method?: string; readonly path?: string } = {},
  ): void {
    for (let i = 0; i < count; i++) this.throttles.push({ style, seconds, ...only });
  }

  takeThrottle(method: string, path: string): Throttle | undefined {
    const index = this.throttles.findIndex(
      (throttle) =>
        (throttle.method === undefined || throttle.method === method) &&
        (throttle.path === undefined || path.includes(throttle.path)),
    );
    return index < 0 ? undefined : this.throttles.splice(index, 1)[0];
  }

  projectById(id: string): FakeGitLabProject | undefined {
    return this.projects.get(id) ?? [...this.projects.values()].find((project) => String(project.id) === id);
  }

  private newId(): number {
    this.lastId += 1;
    return this.lastId;
  }
}

export interface GitLabServer {
  /** The instance's address as a user configures it (`baseUrl`), path prefix included; the API is under /api/v4. */
  readonly url: string;
  readonly state: FakeGitLabState;
  close(): Promise<void>;
}

export async function startGitLabServer(options: GitLabServerOptions = {}): Promise<GitLabServer> {
  const state = new FakeGitLabState(options);
  const prefix = (options.pathPrefix ?? '').replace(/\/+$/, '');
  const server = createServer((request, response) => {
    handle(state, prefix, request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ message: `500 Internal Server Error: ${(error as Error).message}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${prefix}`;
  return {
    url,
    state,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function handle(
  state: FakeGitLabState,
  prefix: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const target = new URL(request.url ?? '/', 'http://fake');
  const method = request.method ?? 'GET';
  const text = await readBody(request);
  let body: Record<string, unknown> = {};
  try {
    body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    return send(response, method, { status: 400, body: { error: 'body is not valid JSON' } });
  }
  const record = (status: number) =>
    state.requests.push({
      method,
      path: target.pathname,
      query: Object.fromEntries(target.searchParams),
      status,
      ...(text === '' ? {} : { body }),
    });

  const throttle = state.takeThrottle(method, target.pathname);
  if (throttle) {
    record(429);
    return send(response, method, throttled(throttle.style, throttle.seconds));
  }
  const user = authenticate(state, request);
  if (!user) {
    record(401);
    return send(response, method, { status: 401, body: { message: '401 Unauthorized' } });
  }
  const apiRoot = `${prefix}/api/v4/projects/`;
  if (!target.pathname.startsWith(apiRoot)) {
    record(404);
    return send(response, method, { status: 404, body: { error: '404 Not Found' } });
  }
  // Split before decoding: a project path or file path sent as one %2F-encoded segment stays one segment.
  const [projectId, ...segments] = target.pathname.slice(apiRoot.length).split('/').map(decodeURIComponent);
  const project = projectId === undefined ? undefined : state.projectById(projectId);
  if (!project) {
    record(404);
    return send(response, method, { status: 404, body: { message: '404 Project Not Found' } });
  }
  const webUrl = `http://${request.headers.host}${prefix}`;
  const answered = answer({ method, segments, query: target.searchParams, body, user, project, webUrl });
  record(answered.status);
  if (answered.list === undefined) return send(response, method, answered);
  return send(response, method, page(state, target, `http://${request.headers.host}`, answered));
}

function authenticate(state: FakeGitLabState, request: IncomingMessage): FakeGitLabUser | undefined {
  const privateToken = request.headers['private-token'];
  const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
  const token = typeof privateToken === 'string' ? privateToken : bearer;
  return token === undefined ? undefined : state.tokens.get(token);
}

/** GitLab's answer past a rate limit: 429 with its RateLimit-* headers, and Retry-After unless told otherwise. */
function throttled(style: ThrottleStyle, seconds: number): FakeAnswer {
  const reset = Math.ceil(Date.now() / 1000) + seconds - 1;
  return {
    status: 429,
    raw: new TextEncoder().encode('Retry later\n'),
    headers: {
      'content-type': 'text/plain',
      'ratelimit-name': 'throttle_authenticated_api',
      'ratelimit-limit': '2000',
      'ratelimit-observed': '2001',
      'ratelimit-remaining': '0',
      'ratelimit-reset': String(reset),
      'ratelimit-resettime': new Date(reset * 1000).toUTCString(),
      ...(style === 'retry-after' ? { 'retry-after': String(seconds) } : {}),
    },
  };
}

/** Offset pagination as GitLab answers it: the page asked for, x-page/x-total headers and a Link header. */
function page(state: FakeGitLabState, target: URL, origin: string, listed: FakeAnswer): FakeAnswer {
  const items = listed.list ?? [];
  const perPage = Math.max(1, Math.min(Number(target.searchParams.get('per_page') ?? 20), state.maxPerPage));
  const totalPages = Math.max(1, Math.ceil(items.length / perPage));
  const current = Math.max(1, Number(target.searchParams.get('page') ?? 1));
  const linkTo = (number: number) => {
    const url = new URL(`${origin}${target.pathname}${target.search}`);
    url.searchParams.set('page', String(number));
    url.searchParams.set('per_page', String(perPage));
    return url.toString();
  };
  const links = [
    ...(current > 1 ? [`<${linkTo(current - 1)}>; rel="prev"`] : []),
    ...(current < totalPages ? [`<${linkTo(current + 1)}>; rel="next"`] : []),
    `<${linkTo(1)}>; rel="first"`,
    `<${linkTo(totalPages)}>; rel="last"`,
  ];
  return {
    status: listed.status,
    body: items.slice((current - 1) * perPage, current * perPage),
    headers: {
      link: links.join(', '),
      'x-page': String(current),
      'x-per-page': String(perPage),
      'x-total': String(items.length),
      'x-total-pages': String(totalPages),
      'x-next-page': current < totalPages ? String(current + 1) : '',
      'x-prev-page': current > 1 ? String(current - 1) : '',
    },
  };
}

function send(response: ServerResponse, method: string, answered: FakeAnswer): void {
  const payload = answered.raw ?? new TextEncoder().encode(JSON.stringify(answered.body ?? null));
  response.writeHead(answered.status, {
    'content-type': 'application/json',
    'content-length': String(payload.byteLength),
    ...answered.headers,
  });
  response.end(method === 'HEAD' ? undefined : payload);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
