/** Webhook payloads shaped as GitHub's and GitLab's webhook references document them (the fields driftless reads,
 * and a few it does not, as the hosts send them). */

export const HEAD = 'a3c1f0d9e2b4c6a8e0f1a2b3c4d5e6f708192a3b';
export const BEFORE = '6113728f27ae82c7b1a177c8d03f9e96e0adf246';
export const BASE = '9049f1265b7d61be4a8904a9a27120d2064dab3b';
export const ZERO = '0000000000000000000000000000000000000000';

export function githubPush(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ref: 'refs/heads/main',
    before: BEFORE,
    after: HEAD,
    created: false,
    deleted: false,
    forced: false,
    base_ref: null,
    compare: `https://github.com/acme/platform-config/compare/${BEFORE.slice(0, 12)}...${HEAD.slice(0, 12)}`,
    commits: [
      {
        id: HEAD,
        tree_id: 'f9d2a07e9488b91af2641b26b9407fe22a451433',
        distinct: true,
        message: 'web: image 1.4.3',
        timestamp: '2026-03-02T10:15:00Z',
        author: { name: 'Saanvi Sarkar', email: 'saanvi@example.com', username: 'saanvi' },
        committer: { name: 'Saanvi Sarkar', email: 'saanvi@example.com', username: 'saanvi' },
        added: [],
        removed: [],
        modified: ['services/web.yaml'],
      },
    ],
    head_commit: { id: HEAD, message: 'web: image 1.4.3' },
    repository: { id: 35129377, name: 'platform-config', full_name: 'acme/platform-config', private: true },
    pusher: { name: 'saanvi', email: 'saanvi@example.com' },
    sender: { login: 'saanvi', id: 21031067, type: 'User' },
    installation: { id: 2311213 },
    ...overrides,
  };
}

export function githubPullRequest(
  action = 'opened',
  overrides: { head?: Record<string, unknown>; base?: Record<string, unknown>; top?: Record<string, unknown> } = {},
): Record<string, unknown> {
  const repository = { id: 35129377, name: 'platform-config', full_name: 'acme/platform-config', private: true };
  return {
    action,
    number: 42,
    pull_request: {
      url: 'https://api.github.com/repos/acme/platform-config/pulls/42',
      number: 42,
      state: 'open',
      title: 'web: image 1.4.3',
      head: { label: 'acme:web-1.4.3', ref: 'web-1.4.3', sha: HEAD, repo: repository, ...overrides.head },
      base: { label: 'acme:main', ref: 'main', sha: BASE, repo: repository, ...overrides.base },
    },
    repository,
    sender: { login: 'saanvi', id: 21031067, type: 'User' },
    installation: { id: 2311213 },
    ...overrides.top,
  };
}

export function gitlabPush(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    object_kind: 'push',
    event_name: 'push',
    before: BEFORE,
    after: HEAD,
    ref: 'refs/heads/main',
    ref_protected: true,
    checkout_sha: HEAD,
    user_id: 4,
    user_name: 'Jorge Souza',
    user_username: 'jsouza',
    project_id: 15,
    project: {
      id: 15,
      name: 'platform-config',
      path_with_namespace: 'platform/team/platform-config',
      default_branch: 'main',
    },
    commits: [{ id: HEAD, message: 'web: image 1.4.3', added: [], modified: ['services/web.yaml'], removed: [] }],
    total_commits_count: 1,
    ...overrides,
  };
}

export function gitlabMergeRequest(action = 'open', attributes: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    object_kind: 'merge_request',
    event_type: 'merge_request',
    user: { id: 4, name: 'Jorge Souza', username: 'jsouza' },
    project: { id: 15, name: 'platform-config', path_with_namespace: 'platform/team/platform-config' },
    object_attributes: {
      id: 99,
      iid: 7,
      title: 'web: image 1.4.3',
      state: 'opened',
      action,
      source_branch: 'web-1.4.3',
      target_branch: 'main',
      source_project_id: 15,
      target_project_id: 15,
      last_commit: { id: HEAD, message: 'web: image 1.4.3' },
      ...attributes,
    },
  };
}
