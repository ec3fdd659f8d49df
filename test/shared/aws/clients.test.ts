import { Readable } from 'node:stream';
import { GetBranchCommand } from '@aws-sdk/client-codecommit';
import { describe, expect, it } from 'vitest';
import { codeCommitClient } from '../../../shared/aws/clients.ts';
import { CodeCommitGitSource } from '../../../shared/source/codecommit.ts';

interface RecordedRequest {
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** An HTTP layer in memory: answers each request with the next scripted response, sends nothing anywhere. */
function scriptedHttp(responses: { status: number; body: unknown; errorType?: string }[]) {
  const requests: RecordedRequest[] = [];
  return {
    requests,
    handler: {
      async handle(request: { headers: Record<string, string>; body?: unknown }) {
        requests.push({ headers: request.headers, body: String(request.body ?? '') });
        const next = responses.shift();
        if (!next) throw new Error('no scripted response left');
        return {
          response: {
            statusCode: next.status,
            headers: {
              'content-type': 'application/x-amz-json-1.1',
              ...(next.errorType ? { 'x-amzn-errortype': next.errorType } : {}),
            },
            body: Readable.from([Buffer.from(JSON.stringify(next.body))]),
          },
        };
      },
      updateHttpClientConfig() {},
      httpHandlerConfigs: () => ({}),
    },
  };
}

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-real-key' };
const THROTTLED = {
  status: 400,
  errorType: 'ThrottlingException',
  body: { __type: 'ThrottlingException', message: 'Rate exceeded' },
};

describe('codeCommitClient', () => {
  it('retries a throttled call through the SDK retry strategy and then succeeds', async () => {
    // Prepare
    const http = scriptedHttp([
      THROTTLED,
      { status: 200, body: { branch: { branchName: 'main', commitId: 'a'.repeat(40) } } },
    ]);
    const client = codeCommitClient({ region: 'us-east-1', credentials, requestHandler: http.handler, maxAttempts: 3 });
    const source = new CodeCommitGitSource({ repositoryName: 'platform-config', client });

    // Act
    const head = await source.resolveRef('main');

    // Assess
    expect(head).toBe('a'.repeat(40));
    expect(http.requests).toHaveLength(2);
    expect(JSON.parse(http.requests[1]!.body)).toEqual({ repositoryName: 'platform-config', branchName: 'main' });
    expect(http.requests[0]!.headers['x-amz-target']).toBe('CodeCommit_20150413.GetBranch');
  });

  it('gives up after maxAttempts and reports a retryable read error', async () => {
    // Prepare
    const http = scriptedHttp([THROTTLED, THROTTLED]);
    const client = codeCommitClient({ region: 'us-east-1', credentials, requestHandler: http.handler, maxAttempts: 2 });
    const source = new CodeCommitGitSource({ repositoryName: 'platform-config', client });

    // Act
    const error = await source.resolveRef('main').catch((caught: unknown) => caught);

    // Assess
    expect(http.requests).toHaveLength(2);
    expect(error).toMatchObject({ name: 'GitUnavailableError', retryable: true });
  });

  it('identifies driftless in the user agent', async () => {
    // Prepare
    const http = scriptedHttp([{ status: 200, body: { branch: { commitId: 'b'.repeat(40) } } }]);
    const client = codeCommitClient({ region: 'us-east-1', credentials, requestHandler: http.handler });

    // Act
    await client.send(new GetBranchCommand({ repositoryName: 'platform-config', branchName: 'main' }));

    // Assess
    expect(http.requests[0]!.headers['user-agent'] ?? http.requests[0]!.headers['x-amz-user-agent']).toContain(
      'driftless',
    );
  });
});
