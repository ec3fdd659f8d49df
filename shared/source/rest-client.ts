/** A small JSON REST client for Git hosts (GitHub, GitLab): bearer tokens, Link-header pagination, and the hosts'
 * rate limits honoured (`retry-after`, `x-ratelimit-remaining`/`x-ratelimit-reset`, GitLab's `ratelimit-*`), so
 * every adapter waits, retries and fails the same way. A failure is a GitUnavailableError when waiting can help
 * (rate limit, 5xx, network) and a HostRequestError (terminal, with the status) when it cannot. */
import { GitUnavailableError, TerminalError } from '../errors.ts';

export interface RestClientOptions {
  /** e.g. https://api.github.com or https://gitlab.example.com/api/v4 (no trailing slash needed). */
  readonly baseUrl: string;
  /** The Authorization header value for each request (`Bearer …`, `token …`), or extra headers (`PRIVATE-TOKEN`). */
  readonly authorize: () => Promise<Readonly<Record<string, string>>>;
  /** Host-specific headers sent with every request (Accept, X-GitHub-Api-Version). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Injected in tests; defaults to the global fetch. */
  readonly fetch?: typeof fetch;
  /** Waits, injected in tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Attempts per request, the first included. @default 4 */
  readonly maxAttempts?: number;
  /** The longest a rate limit is waited out inside one request; longer is a GitUnavailableError. @default 20 s */
  readonly maxWaitMs?: number;
  /** Per-request timeout. @default 10 s */
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

export interface RestRequest {
  readonly method?: 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Path under baseUrl (`/repos/o/r/git/trees/sha`), or an absolute URL the host gave (a Link `next`). */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: unknown;
  /** Statuses that are answers, not failures (404 for "no such branch"). */
  readonly expect?: readonly number[];
  /** Answer the body as bytes (a raw file), reading at most `limit` + 1 of them: an oversized file is never held
   * whole, and the caller sees it is over the limit. */
  readonly bytes?: { readonly limit: number };
}

export interface RestResponse<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

/** The host answered with a status no retry changes (401, 403 without a rate limit, 404, 409, 422…). */
export class HostRequestError extends TerminalError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const DEFAULTS = { maxAttempts: 4, maxWaitMs: 20_000, timeoutMs: 10_000 } as const;

export class RestClient {
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(private readonly options: RestClientOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
  }

  async request<T>(request: RestRequest): Promise<RestResponse<T>> {
    const url = this.urlOf(request);
    const maxAttempts = this.options.maxAttempts ?? DEFAULTS.maxAttempts;
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      // Outside the try: a token that cannot be had (a refused App key) is that failure, not a network one to retry.
      const authorization = await this.options.authorize();
      try {
        response = await this.fetch(url, {
          method: request.method ?? 'GET',
          headers: {
            accept: 'application/json',
            'user-agent': 'driftless',
            ...this.options.headers,
            ...authorization,
            ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? DEFAULTS.timeoutMs),
        });
      } catch (error) {
        if (attempt >= maxAttempts) {
          throw new GitUnavailableError(`${describe(request)}: ${(error as Error).message}`, { cause: error });
        }
        await this.sleep(backoff(attempt));
        continue;
      }
      if (response.ok || request.expect?.includes(response.status)) {
        if (request.bytes && response.ok) {
          const body = await readAtMost(response, request.bytes.limit + 1).catch((error: unknown) => {
            throw new GitUnavailableError(`${describe(request)}: ${(error as Error).message}`, { cause: error });
          });
          return { status: response.status, headers: response.headers, body: body as T };
        }
        const text = await response.text();
        return {
          status: response.status,
          headers: response.headers,
          body: (text === '' ? undefined : JSON.parse(text)) as T,
        };
      }
      const wait = this.waitOf(response, attempt);
      const detail = await errorDetail(response);
      if (wait === undefined) {
        throw new HostRequestError(response.status, `${describe(request)}: ${response.status} ${detail}`);
      }
      if (attempt >= maxAttempts || wait > (this.options.maxWaitMs ?? DEFAULTS.maxWaitMs)) {
        throw new GitUnavailableError(
          `${describe(request)}: ${response.status} ${detail} (retry in ${Math.ceil(wait / 1000)} s)`,
        );
      }
      await this.sleep(wait);
    }
  }

  /** Every item of a paginated list, following the Link header's `next` (GitHub and GitLab both send it). */
  async *paginate<T>(request: RestRequest, itemsOf: (body: unknown) => readonly T[] = asArray): AsyncGenerator<T> {
    let next: RestRequest | undefined = { ...request, query: { per_page: 100, ...request.query } };
    while (next) {
      const page: RestResponse<unknown> = await this.request<unknown>(next);
      yield* itemsOf(page.body);
      const link = nextLink(page.headers.get('link'));
      next = link ? { ...request, path: link, query: {} } : undefined;
    }
  }

  private urlOf(request: RestRequest): string {
    const url = /^https?:\/\//.test(request.path)
      ? new URL(request.path)
      : new URL(`${this.options.baseUrl.replace(/\/+$/, '')}${request.path}`);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  /** How long to wait before the next attempt, or undefined when waiting cannot help. */
  private waitOf(response: Response, attempt: number): number | undefined {
    const retryAfter = response.headers.get('retry-after');
    if (retryAfter !== null) {
      const seconds = Number(retryAfter);
      if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
      const at = Date.parse(retryAfter);
      if (!Number.isNaN(at)) return Math.max(0, at - this.now());
    }
    const remaining = response.headers.get('x-ratelimit-remaining') ?? response.headers.get('ratelimit-remaining');
    const reset = response.headers.get('x-ratelimit-reset') ?? response.headers.get('ratelimit-reset');
    if ((response.status === 403 || response.status === 429) && remaining === '0' && reset !== null) {
      return Math.max(0, Number(reset) * 1000 - this.now());
    }
    if (response.status === 429) return backoff(attempt);
    if (response.status >= 500) return backoff(attempt);
    return undefined;
  }
}

function backoff(attempt: number): number {
  return Math.min(8_000, 250 * 2 ** (attempt - 1));
}

function describe(request: RestRequest): string {
  return `${request.method ?? 'GET'} ${request.path.replace(/^https?:\/\/[^/]+/, '')}`;
}

async function errorDetail(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: unknown };
    const message = body.message ?? body.error;
    if (message !== undefined) return typeof message === 'string' ? message : JSON.stringify(message);
  } catch {
    // not JSON: the status text says enough
  }
  return response.statusText || text.slice(0, 200);
}

async function readAtMost(response: Response, limit: number): Promise<Uint8Array> {
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < limit) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  if (size >= limit) await reader.cancel();
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes.subarray(0, Math.min(size, limit));
}

/** The `next` URL of an RFC 8288 Link header. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (match) return match[1];
  }
  return undefined;
}

function asArray<T>(body: unknown): readonly T[] {
  if (!Array.isArray(body)) throw new TerminalError('the host answered a list request with something else');
  return body as T[];
}
