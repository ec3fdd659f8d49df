import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GitUnavailableError } from '../../../shared/errors.ts';
import { HostRequestError, nextLink, RestClient } from '../../../shared/source/rest-client.ts';

type Answer = (request: IncomingMessage, response: ServerResponse) => void;

let server: Server | undefined;

async function serve(answer: Answer): Promise<string> {
  const listening = createServer(answer);
  server = listening;
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
}

afterEach(async () => {
  const running = server;
  server = undefined;
  if (!running) return;
  running.closeAllConnections();
  await new Promise((resolve) => running.close(resolve));
});

function client(baseUrl: string, waits: number[] = [], now = () => 1_700_000_000_000): RestClient {
  return new RestClient({
    baseUrl,
    authorize: async () => ({ authorization: 'Bearer test-token' }),
    sleep: async (ms) => {
      waits.push(ms);
    },
    now,
  });
}

describe('RestClient', () => {
  it('sends the token and parses JSON', async () => {
    // Arrange
    let seen: string | undefined;
    const url = await serve((request, response) => {
      seen = request.headers.authorization;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"sha":"abc"}');
    });

    // Act
    const answer = await client(url).request<{ sha: string }>({ path: '/repos/o/r/commits/main' });

    // Assess
    expect(answer.body).toEqual({ sha: 'abc' });
    expect(seen).toBe('Bearer test-token');
  });

  it('follows Link rel="next" across pages', async () => {
    // Arrange
    const url = await serve((request, response) => {
      const page = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('page') ?? '1');
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (page < 3)
        headers.link = `<${url}/items?page=${page + 1}&per_page=100>; rel="next", <${url}/items?page=3>; rel="last"`;
      response.writeHead(200, headers).end(JSON.stringify([page * 10, page * 10 + 1]));
    });

    // Act
    const items: number[] = [];
    for await (const item of client(url).paginate<number>({ path: '/items' })) items.push(item);

    // Assess
    expect(items).toEqual([10, 11, 20, 21, 30, 31]);
  });

  it('waits out retry-after on 429 and then succeeds', async () => {
    // Arrange
    let calls = 0;
    const url = await serve((_request, response) => {
      calls++;
      if (calls === 1) response.writeHead(429, { 'retry-after': '3' }).end('{"message":"slow down"}');
      else response.writeHead(200).end('[]');
    });
    const waits: number[] = [];

    // Act
    await client(url, waits).request({ path: '/x' });

    // Assess
    expect(waits).toEqual([3000]);
    expect(calls).toBe(2);
  });

  it('waits until x-ratelimit-reset when the primary rate limit is spent (403, remaining 0)', async () => {
    // Arrange
    let calls = 0;
    const now = 1_700_000_000_000;
    const url = await serve((_request, response) => {
      calls++;
      if (calls === 1) {
        response
          .writeHead(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 5) })
          .end('{"message":"API rate limit exceeded"}');
      } else response.writeHead(200).end('{}');
    });
    const waits: number[] = [];

    // Act
    await client(url, waits, () => now).request({ path: '/x' });

    // Assess
    expect(waits).toEqual([5000]);
  });

  it('is retryable, not waited for, when the rate limit resets later than a function should wait', async () => {
    // Arrange
    const now = 1_700_000_000_000;
    const url = await serve((_request, response) => {
      response
        .writeHead(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 3600) })
        .end('{"message":"API rate limit exceeded"}');
    });

    // Act
    const failure = await client(url, [], () => now)
      .request({ path: '/x' })
      .catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(GitUnavailableError);
    expect((failure as Error).message).toMatch(/API rate limit exceeded/);
  });

  it('is terminal with the status for a 404 and a 403 that is not a rate limit, unless the caller expects it', async () => {
    // Arrange
    const url = await serve((request, response) => {
      if (request.url?.startsWith('/forbidden')) response.writeHead(403).end('{"message":"Resource not accessible"}');
      else response.writeHead(404).end('{"message":"Branch not found"}');
    });

    // Act
    const missing = await client(url)
      .request({ path: '/missing' })
      .catch((error: unknown) => error);
    const forbidden = await client(url)
      .request({ path: '/forbidden' })
      .catch((error: unknown) => error);
    const expected = await client(url).request({ path: '/missing', expect: [404] });

    // Assess
    expect(missing).toMatchObject({ name: 'HostRequestError', status: 404, retryable: false });
    expect(forbidden).toBeInstanceOf(HostRequestError);
    expect(expected.status).toBe(404);
  });

  it('retries 5xx with backoff and gives up as retryable', async () => {
    // Arrange
    let calls = 0;
    const url = await serve((_request, response) => {
      calls++;
      response.writeHead(502).end('bad gateway');
    });
    const waits: number[] = [];

    // Act
    const failure = await client(url, waits)
      .request({ path: '/x' })
      .catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(GitUnavailableError);
    expect(calls).toBe(4);
    expect(waits).toEqual([250, 500, 1000]);
  });
});

describe('nextLink', () => {
  it('reads rel="next" among other relations, and nothing from an absent header', () => {
    // Assess
    expect(nextLink('<https://h/x?page=1>; rel="prev", <https://h/x?page=3>; rel="next"')).toBe('https://h/x?page=3');
    expect(nextLink('<https://h/x?page=1>; rel="first"')).toBeUndefined();
    expect(nextLink(null)).toBeUndefined();
  });
});
