/** The fake GitHub's App authentication and Git database routes: installation and access tokens, refs, commits,
 * trees (recursive, truncated past a limit), blobs and compare, with GitHub's documented shapes and statuses. */
import { randomBytes } from 'node:crypto';
import { type FakeGitHubState, invalid, isoSeconds, notFound, type Route, type RouteContext } from './github-http.ts';
import type { FakeGitHubRepository, FlatEntry, TreeMode } from './github-model.ts';

export function gitRoutes(context: RouteContext): Route[] {
  const { state, model, at, api, commitJson } = context;
  const refJson = (branch: string, sha: string) => ({
    ref: `refs/heads/${branch}`,
    node_id: `REF_${branch}`,
    url: api(`/git/refs/heads/${branch}`),
    object: { sha, type: 'commit', url: api(`/git/commits/${sha}`) },
  });

  return [
    ['GET', at('/installation'), () => ({ status: 200, body: installationJson(state) }), 'app'],
    [
      'POST',
      /^\/app\/installations\/(\d+)\/access_tokens$/,
      ({ match }) => {
        if (Number(match[1]) !== state.installationId) return notFound();
        const token = `ghs_${randomBytes(18).toString('base64url')}`;
        const expiresAt = Date.now() + state.tokenLifetimeSeconds * 1000;
        state.accessTokens.set(token, { expiresAt });
        const permissions = { contents: 'write', pull_requests: 'write', checks: 'write', metadata: 'read' };
        return {
          status: 201,
          body: { token, expires_at: isoSeconds(expiresAt), permissions, repository_selection: 'selected' },
        };
      },
      'app',
    ],
    [
      'GET',
      at('/git/ref/heads/(.+)'),
      ({ match }) => {
        const sha = model.branches.get(match[1] as string);
        return sha ? { status: 200, body: refJson(match[1] as string, sha) } : notFound();
      },
      'token',
    ],
    [
      'POST',
      at('/git/refs'),
      ({ body }) => {
        const branch = /^refs\/heads\/(.+)$/.exec(String(body.ref))?.[1];
        const sha = String(body.sha);
        if (!branch) return invalid('Reference name must start with refs/ and have at least two slashes.');
        if (model.branches.has(branch)) return invalid('Reference already exists');
        if (!model.commits.has(sha)) return invalid('Object does not exist');
        model.branches.set(branch, sha);
        return { status: 201, body: refJson(branch, sha) };
      },
      'token',
    ],
    [
      'PATCH',
      at('/git/refs/heads/(.+)'),
      ({ match, body }) => {
        const branch = match[1] as string;
        const current = model.branches.get(branch);
        const sha = String(body.sha);
        if (!current) return invalid('Reference does not exist');
        if (!model.commits.has(sha)) return invalid('Object does not exist');
        if (body.force !== true && !model.ancestors(sha).has(current)) return invalid('Update is not a fast forward');
        model.branches.set(branch, sha);
        return { status: 200, body: refJson(branch, sha) };
      },
      'token',
    ],
    [
      'GET',
      at('/git/commits/([0-9a-f]{40})'),
      ({ match }) =>
        model.commits.has(match[1] as string) ? { status: 200, body: commitJson(match[1] as string) } : notFound(),
      'token',
    ],
    [
      'POST',
      at('/git/commits'),
      ({ body }) => {
        const parents = (body.parents as string[] | undefined) ?? [];
        if (!model.trees.has(String(body.tree)) || parents.some((parent) => !model.commits.has(parent))) {
          return invalid('Tree SHA does not exist');
        }
        const now = isoSeconds(Date.now());
        const person = (who: unknown) => (who ? { date: now, ...(who as { name: string; email: string }) } : undefined);
        const author = person(body.author) ?? { name: 'octocat', email: 'octocat@github.com', date: now };
        const commit = model.createCommit({
          tree: String(body.tree),
          parents,
          message: String(body.message),
          author,
          committer: person(body.committer) ?? author,
        });
        return { status: 201, body: commitJson(commit.sha) };
      },
      'token',
    ],
    [
      'GET',
      at('/git/trees/([^/]+)'),
      ({ match, url }) => {
        const ref = match[1] as string;
        const tree = model.trees.has(ref) ? ref : model.resolveCommit(ref)?.tree;
        if (!tree) return notFound();
        const entries = treeEntries(model, tree, url.searchParams.has('recursive'), api);
        const truncated = entries.length > state.treeEntryLimit;
        return {
          status: 200,
          body: { sha: tree, url: api(`/git/trees/${tree}`), tree: entries.slice(0, state.treeEntryLimit), truncated },
        };
      },
      'token',
    ],
    [
      'POST',
      at('/git/trees'),
      ({ body }) => {
        const base =
          body.base_tree === undefined ? new Map<string, FlatEntry>() : model.flatten(String(body.base_tree));
        for (const item of (body.tree as { path: string; mode: TreeMode; sha?: string | null; content?: string }[]) ??
          []) {
          if (item.sha === null) base.delete(item.path);
          else
            base.set(item.path, {
              mode: item.mode,
              sha: item.content !== undefined ? model.putBlob(item.content) : String(item.sha),
            });
        }
        const sha = model.putTree(base);
        return {
          status: 201,
          body: { sha, url: api(`/git/trees/${sha}`), tree: treeEntries(model, sha, false, api), truncated: false },
        };
      },
      'token',
    ],
    [
      'GET',
      at('/git/blobs/([0-9a-f]{40})'),
      ({ match }) => {
        const sha = match[1] as string;
        const bytes = model.blobs.get(sha);
        if (!bytes) return notFound();
        // GitHub wraps the base64 at 60 characters.
        const content = `${bytes.toString('base64').replace(/(.{60})/g, '$1\n')}\n`;
        return {
          status: 200,
          body: {
            sha,
            node_id: `B_${sha.slice(0, 12)}`,
            size: bytes.length,
            url: api(`/git/blobs/${sha}`),
            content,
            encoding: 'base64',
          },
        };
      },
      'token',
    ],
    [
      'GET',
      at('/compare/([^/]+)\\.\\.\\.([^/]+)'),
      ({ match }) => {
        const base = model.resolveCommit(match[1] as string);
        const head = model.resolveCommit(match[2] as string);
        if (!base || !head) return notFound();
        const mergeBase = model.mergeBase(base.sha, head.sha);
        if (!mergeBase) return notFound(`No common ancestor between ${match[1]} and ${match[2]}.`);
        const ofBase = model.ancestors(base.sha);
        const ofHead = model.ancestors(head.sha);
        const ahead = [...ofHead].filter((sha) => !ofBase.has(sha)).reverse();
        const behind = [...ofBase].filter((sha) => !ofHead.has(sha));
        const status =
          base.sha === head.sha
            ? 'identical'
            : behind.length === 0
              ? 'ahead'
              : ahead.length === 0
                ? 'behind'
                : 'diverged';
        const files = model.diff(model.commitOf(mergeBase).tree, head.tree).slice(0, state.compareFileLimit);
        return {
          status: 200,
          body: {
            url: api(`/compare/${match[1]}...${match[2]}`),
            status,
            ahead_by: ahead.length,
            behind_by: behind.length,
            total_commits: ahead.length,
            base_commit: { sha: base.sha, commit: commitJson(base.sha) },
            merge_base_commit: { sha: mergeBase, commit: commitJson(mergeBase) },
            commits: ahead.slice(0, 250).map((sha) => ({ sha, commit: commitJson(sha) })),
            files: files.map((file) => ({
              ...file,
              additions: 0,
              deletions: 0,
              changes: 0,
              blob_url: '',
              raw_url: '',
              contents_url: '',
            })),
          },
        };
      },
      'token',
    ],
  ];
}

function treeEntries(
  model: FakeGitHubRepository,
  tree: string,
  recursive: boolean,
  api: (path: string) => string,
  prefix = '',
): unknown[] {
  const entries: unknown[] = [];
  for (const item of model.trees.get(tree) ?? []) {
    const path = `${prefix}${item.name}`;
    const size = item.type === 'blob' ? { size: model.blobs.get(item.sha)?.length ?? 0 } : {};
    const kind = item.type === 'tree' ? 'trees' : item.type === 'blob' ? 'blobs' : 'commits';
    entries.push({
      path,
      mode: item.mode,
      type: item.type,
      sha: item.sha,
      ...size,
      url: api(`/git/${kind}/${item.sha}`),
    });
    if (recursive && item.type === 'tree') entries.push(...treeEntries(model, item.sha, true, api, `${path}/`));
  }
  return entries;
}

function installationJson(state: FakeGitHubState) {
  return {
    id: state.installationId,
    account: { login: state.owner, id: 7, type: 'Organization' },
    repository_selection: 'selected',
    app_id: 1,
    app_slug: 'driftless',
    target_id: 7,
    target_type: 'Organization',
    permissions: { contents: 'write', pull_requests: 'write', checks: 'write', metadata: 'read' },
    events: ['push', 'pull_request'],
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    single_file_name: null,
  };
}
