/** The fake GitHub (shared/sim/github-server.ts) started for one test, with a token the adapters can use. */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterEach } from 'vitest';
import { type FakeGitHub, startGitHubServer } from '../../shared/sim/github-server.ts';
import { StaticGitHubToken } from '../../shared/source/github-auth.ts';

export const OWNER = 'octo-org';
export const REPO = 'platform-config';

const running: FakeGitHub[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

export interface TestGitHub {
  readonly server: FakeGitHub;
  /** Options every adapter takes: the fake's URL, a personal token it accepts, and waits recorded instead of slept. */
  readonly options: {
    owner: string;
    repo: string;
    apiUrl: string;
    auth: StaticGitHubToken;
    sleep: (ms: number) => Promise<void>;
  };
  readonly waits: number[];
  /** Requests made so far, as `METHOD /path` without the /repos/{owner}/{repo} prefix. */
  calls(): string[];
}

export async function startTestGitHub(options: Parameters<typeof startGitHubServer>[0] = {}): Promise<TestGitHub> {
  const token = `ghp_${randomBytes(12).toString('hex')}`;
  const server = await startGitHubServer({ owner: OWNER, repo: REPO, staticTokens: [token], ...options });
  running.push(server);
  const waits: number[] = [];
  return {
    server,
    waits,
    options: {
      owner: OWNER,
      repo: REPO,
      apiUrl: server.url,
      auth: new StaticGitHubToken(token),
      sleep: async (ms) => {
        waits.push(ms);
      },
    },
    calls: () =>
      server.state.requests.map(
        (request) => `${request.method} ${request.path.replace(`/repos/${OWNER}/${REPO}`, '')}`,
      ),
  };
}

/** A fake GitHub that knows a GitHub App by a key pair made here, holding `files` on main; the caller closes it. */
export async function startAppGitHub(options: {
  readonly owner: string;
  readonly repo: string;
  readonly appId: number;
  readonly installationId: number;
  readonly files: Readonly<Record<string, string | Uint8Array | null>>;
}): Promise<{ readonly github: FakeGitHub; readonly privateKey: string }> {
  const keys = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const { files, ...app } = options;
  const github = await startGitHubServer({ ...app, appPublicKey: keys.publicKey });
  github.state.repository.commit('main', files, 'platform config');
  return { github, privateKey: keys.privateKey };
}
