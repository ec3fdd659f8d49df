/**
 * How driftless authenticates to GitHub: as a GitHub App installation (an RS256 JWT signed with the App's private key
 * buys an installation access token, narrowed to the one repository and reused until five minutes before it expires),
 * or with a fixed token for the CLI (`GITHUB_TOKEN`). Also the REST client every GitHub adapter shares.
 */
import { createPrivateKey, sign } from 'node:crypto';
import { TerminalError } from '../errors.ts';
import { RestClient } from './rest-client.ts';

/** Anything that hands out a bearer token for api.github.com (or a GitHub Enterprise Server API). */
export interface GitHubTokenSource {
  token(): Promise<string>;
}

export const GITHUB_API_URL = 'https://api.github.com';

/** Options every GitHub adapter takes besides its repository and auth. */
export interface GitHubClientOptions {
  /** @default https://api.github.com; `https://HOST/api/v3` for GitHub Enterprise Server. */
  readonly apiUrl?: string;
  /** Injected in tests; defaults to the global fetch. */
  readonly fetch?: typeof fetch;
  /** Waits between attempts (rate limits, 5xx), injected in tests. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The REST client for GitHub: its media type and API version on every request, the token as a bearer. */
export function gitHubRestClient(auth: GitHubTokenSource, options: GitHubClientOptions): RestClient {
  return new RestClient({
    baseUrl: options.apiUrl ?? GITHUB_API_URL,
    authorize: async () => ({ authorization: `Bearer ${await auth.token()}` }),
    headers: { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' },
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
  });
}

/** A token that does not change: a personal access token or GitHub Actions' GITHUB_TOKEN, for the CLI. */
export class StaticGitHubToken implements GitHubTokenSource {
  constructor(private readonly value: string) {
    if (value.trim() === '') throw new TerminalError('the GitHub token is empty');
  }

  async token(): Promise<string> {
    return this.value;
  }
}

export interface GitHubAppAuthOptions extends GitHubClientOptions {
  /** The App's id (or its client id; GitHub accepts either as the JWT issuer). */
  readonly appId: number | string;
  /** The App's PEM private key, read when first needed (from Secrets Manager in the functions). */
  readonly privateKey: () => Promise<string>;
  /** Found from the repository (GET /repos/{owner}/{repo}/installation) when absent. */
  readonly installationId?: number;
  readonly owner: string;
  readonly repo: string;
  readonly now?: () => number;
}

/** Reused until this long before GitHub says the token expires, so no request starts with a token about to lapse. */
const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;
/** GitHub refuses a JWT issued in the future; backdating absorbs clock drift between us and GitHub. */
const JWT_BACKDATE_SECONDS = 60;
/** GitHub refuses a JWT that lives longer than ten minutes. */
const JWT_LIFETIME_SECONDS = 9 * 60;

interface InstallationToken {
  readonly token: string;
  readonly expiresAt: number;
}

export class GitHubAppAuth implements GitHubTokenSource {
  private readonly appClient: RestClient;
  private readonly now: () => number;
  private installationId: number | undefined;
  private privateKeyPem: Promise<string> | undefined;
  private cached: InstallationToken | undefined;
  /** Shared by concurrent callers, so a burst of requests on a cold function mints one token. */
  private minting: Promise<InstallationToken> | undefined;

  constructor(private readonly options: GitHubAppAuthOptions) {
    this.now = options.now ?? Date.now;
    this.installationId = options.installationId;
    this.appClient = gitHubRestClient({ token: () => this.appJwt() }, options);
  }

  async token(): Promise<string> {
    if (this.cached && this.cached.expiresAt - TOKEN_REFRESH_MARGIN_MS > this.now()) return this.cached.token;
    this.minting ??= this.mint().finally(() => {
      this.minting = undefined;
    });
    this.cached = await this.minting;
    return this.cached.token;
  }

  private async mint(): Promise<InstallationToken> {
    const { owner, repo } = this.options;
    if (this.installationId === undefined) {
      const installation = await this.appClient.request<{ id: number }>({
        path: `/repos/${owner}/${repo}/installation`,
      });
      this.installationId = installation.body.id;
    }
    const answer = await this.appClient.request<{ token?: string; expires_at?: string }>({
      method: 'POST',
      path: `/app/installations/${this.installationId}/access_tokens`,
      // Narrowed to the configuration repository: the App may be installed on many.
      body: { repositories: [repo] },
    });
    const expiresAt = Date.parse(answer.body.expires_at ?? '');
    if (!answer.body.token || Number.isNaN(expiresAt)) {
      throw new TerminalError(`GitHub answered installation ${this.installationId}'s token request without a token`);
    }
    return { token: answer.body.token, expiresAt };
  }

  private async appJwt(): Promise<string> {
    // A failed read (Secrets Manager throttled) is not kept: the next call reads again.
    this.privateKeyPem ??= this.options.privateKey().catch((error: unknown) => {
      this.privateKeyPem = undefined;
      throw error;
    });
    const key = createPrivateKey(await this.privateKeyPem);
    const issuedAt = Math.floor(this.now() / 1000) - JWT_BACKDATE_SECONDS;
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({
      iat: issuedAt,
      exp: issuedAt + JWT_BACKDATE_SECONDS + JWT_LIFETIME_SECONDS,
      iss: String(this.options.appId),
    })}`;
    return `${unsigned}.${sign('RSA-SHA256', Buffer.from(unsigned), key).toString('base64url')}`;
  }
}
