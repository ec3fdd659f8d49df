/** What every GitLab adapter shares: the options a deployment gives (project path, instance address, token), the
 * API v4 client built from them, and the project's URL-encoded path, so gitlab.com and self-managed instances behind
 * a path prefix are addressed alike. */
import { RestClient } from './rest-client.ts';

export interface GitLabOptions {
  /** The project's full path ('group/sub/project') or its numeric id. */
  readonly project: string;
  /** The instance's address, with its path prefix if it has one (https://gitlab.example.com/gitlab).
   * @default https://gitlab.com */
  readonly baseUrl?: string;
  /** A project access token (or a personal or group one) with the api scope, read when a request is made. */
  readonly token: () => Promise<string>;
  /** How the token is sent: GitLab takes access tokens in `PRIVATE-TOKEN` and OAuth tokens as `Authorization:
   * Bearer`. @default 'private-token' */
  readonly tokenHeader?: 'private-token' | 'bearer';
  /** Injected in tests; defaults to the global fetch. */
  readonly fetch?: typeof fetch;
}

export const GITLAB_COM = 'https://gitlab.com';

export function gitLabRestClient(options: GitLabOptions): RestClient {
  return new RestClient({
    baseUrl: gitLabApiUrl(options.baseUrl ?? GITLAB_COM),
    authorize: async (): Promise<Record<string, string>> => {
      const token = await options.token();
      return options.tokenHeader === 'bearer' ? { authorization: `Bearer ${token}` } : { 'private-token': token };
    },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** https://gitlab.example.com/gitlab → https://gitlab.example.com/gitlab/api/v4 (an address given with /api/v4 is
 * kept as it is). */
export function gitLabApiUrl(baseUrl: string): string {
  const trimmed = baseUrl.replace(/\/+$/, '');
  return /\/api\/v4$/.test(trimmed) ? trimmed : `${trimmed}/api/v4`;
}

/** `/projects/group%2Fsub%2Fproject`: GitLab takes a path as the id only with its slashes encoded. */
export function projectApiPath(project: string): string {
  return `/projects/${encodeURIComponent(project)}`;
}

/** The message of a GitLab error answer ("404 Branch Not Found", or the first of a list). */
export function gitLabMessage(body: unknown): string {
  if (typeof body !== 'object' || body === null) return '';
  const { message, error } = body as { message?: unknown; error?: unknown };
  const found = message ?? error;
  if (Array.isArray(found)) return String(found[0] ?? '');
  return typeof found === 'string' ? found : found === undefined ? '' : JSON.stringify(found);
}
