/** The fake GitLab's API v4 endpoints for one project, answering with the response shapes of GitLab's REST API
 * reference (repositories, branches, commits, repository files, merge requests, notes, commit statuses). */
import { createHash } from 'node:crypto';
import type { FakeCommit, FakeGitLabProject, FakeGitLabUser, FakeMergeRequest, FakeNote } from './gitlab-model.ts';

export interface FakeRequest {
  readonly method: string;
  /** Decoded path segments after `/projects/:id/`. */
  readonly segments: readonly string[];
  readonly query: URLSearchParams;
  readonly body: Record<string, unknown>;
  readonly user: FakeGitLabUser;
  readonly project: FakeGitLabProject;
  /** The instance's web address (with any path prefix), for web_url fields. */
  readonly webUrl: string;
}

export interface FakeAnswer {
  readonly status: number;
  readonly body?: unknown;
  /** A raw body (blobs, raw files) instead of JSON. */
  readonly raw?: Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
  /** A list the server pages through (page, per_page, Link and x-* headers). */
  readonly list?: readonly unknown[];
}

const notFound = (what: string): FakeAnswer => ({ status: 404, body: { message: `404 ${what} Not Found` } });
const badRequest = (message: string): FakeAnswer => ({ status: 400, body: { message } });

export function answer(request: FakeRequest): FakeAnswer {
  const { method, segments } = request;
  const [area, kind, name, extra] = segments;
  if (area === 'repository') {
    if (method === 'GET' && kind === 'branches' && name !== undefined) return branch(request, name);
    if (method === 'GET' && kind === 'commits' && name !== undefined && extra === 'statuses') {
      return { status: 200, list: request.project.statuses.filter((s) => s.sha === name).map(statusJson) };
    }
    if (method === 'GET' && kind === 'commits' && name !== undefined) return commit(request, name);
    if (method === 'POST' && kind === 'commits' && name === undefined) return createCommit(request);
    if (method === 'GET' && kind === 'tree') return tree(request);
    if (method === 'GET' && kind === 'blobs' && name !== undefined && extra === 'raw') return blob(request, name);
    if ((method === 'GET' || method === 'HEAD') && kind === 'files' && name !== undefined) {
      return file(request, name, extra === 'raw');
    }
    if (method === 'GET' && kind === 'compare') return compare(request);
  }
  if (area === 'merge_requests') return mergeRequests(request, kind, name, extra);
  if (area === 'statuses' && method === 'POST' && kind !== undefined) return postStatus(request, kind);
  return { status: 404, body: { error: '404 Not Found' } };
}

function commitJson(request: FakeRequest, commit: FakeCommit) {
  const title = commit.message.split('\n')[0] ?? '';
  return {
    id: commit.id,
    short_id: commit.id.slice(0, 8),
    created_at: commit.date,
    parent_ids: commit.parentIds,
    title,
    message: commit.message,
    author_name: commit.authorName,
    author_email: commit.authorEmail,
    authored_date: commit.date,
    committer_name: commit.committerName,
    committer_email: commit.committerEmail,
    committed_date: commit.date,
    trailers: {},
    extended_trailers: {},
    web_url: `${request.webUrl}/${request.project.path}/-/commit/${commit.id}`,
  };
}

function userJson(request: FakeRequest, user: FakeGitLabUser) {
  return {
    id: user.id,
    username: user.username,
    name: user.name,
    state: 'active',
    locked: false,
    avatar_url: null,
    web_url: `${request.webUrl}/${user.username}`,
  };
}

function branch(request: FakeRequest, name: string): FakeAnswer {
  const head = request.project.branches.get(name);
  const commit = head === undefined ? undefined : request.project.commits.get(head);
  if (!commit) return notFound('Branch');
  return {
    status: 200,
    body: {
      name,
      merged: false,
      protected: name === 'main',
      default: name === 'main',
      developers_can_push: false,
      developers_can_merge: false,
      can_push: true,
      web_url: `${request.webUrl}/${request.project.path}/-/tree/${name}`,
      commit: commitJson(request, commit),
    },
  };
}

function commit(request: FakeRequest, ref: string): FakeAnswer {
  const id = request.project.resolve(ref);
  const found = id === undefined ? undefined : request.project.commits.get(id);
  if (!found) return notFound('Commit');
  return {
    status: 200,
    body: {
      ...commitJson(request, found),
      stats: { additions: 0, deletions: 0, total: 0 },
      status: null,
      project_id: request.project.id,
      last_pipeline: null,
    },
  };
}

interface CommitAction {
  readonly action?: string;
  readonly file_path?: string;
  readonly content?: string;
}

/** POST /repository/commits: the rules of GitLab's Commits::CreateService that a caller can run into. */
function createCommit(request: FakeRequest): FakeAnswer {
  const { project, body } = request;
  const branchName = String(body.branch ?? '');
  const startSha = body.start_sha === undefined ? undefined : String(body.start_sha);
  const startBranch = body.start_branch === undefined ? undefined : String(body.start_branch);
  const actions = (Array.isArray(body.actions) ? body.actions : []) as CommitAction[];
  if (branchName === '' || body.commit_message === undefined || actions.length === 0) {
    return badRequest('branch, commit_message, actions are missing');
  }
  const differentBranch = startSha !== undefined || (startBranch !== undefined && startBranch !== branchName);
  if (differentBranch && project.branches.has(branchName) && body.force !== true) {
    return badRequest(`A branch called '${branchName}' already exists. Switch to that branch in order to make changes`);
  }
  const parent = startSha ?? project.branches.get(startBranch ?? branchName);
  if (parent === undefined) return badRequest('You can only create or edit files when you are on a branch');
  if (!project.commits.has(parent)) return badRequest(`Cannot find start_sha '${startSha}'`);
  const tree = project.commits.get(parent)?.tree;
  const files: Record<string, string | null> = {};
  for (const action of actions) {
    const path = String(action.file_path ?? '');
    const exists = tree?.has(path) ?? false;
    if (action.action === 'create' && exists) return badRequest('A file with this name already exists');
    if ((action.action === 'update' || action.action === 'delete') && !exists) {
      return badRequest("A file with this name doesn't exist");
    }
    files[path] = action.action === 'delete' ? null : String(action.content ?? '');
  }
  const author = {
    name: String(body.author_name ?? request.user.name),
    email: String(body.author_email ?? `${request.user.username}@example.com`),
  };
  const id = project.commit({
    branch: branchName,
    parent,
    files,
    message: String(body.commit_message),
    author,
    committer: { name: request.user.name, email: `${request.user.username}@example.com` },
  });
  const made = project.commits.get(id) as FakeCommit;
  return {
    status: 201,
    body: { ...commitJson(request, made), stats: { additions: 0, deletions: 0, total: 0 }, status: null },
  };
}

function tree(request: FakeRequest): FakeAnswer {
  const { project, query } = request;
  const ref = query.get('ref') ?? 'main';
  const id = project.resolve(ref);
  const files = id === undefined ? undefined : project.commits.get(id)?.tree;
  if (!files) return notFound('Tree');
  const folder = (query.get('path') ?? '').replace(/^\/+|\/+$/g, '');
  const recursive = query.get('recursive') === 'true';
  const entries = new Map<string, { id: string; name: string; type: string; path: string; mode: string }>();
  for (const [path, entry] of files) {
    if (folder !== '' && !path.startsWith(`${folder}/`)) continue;
    const parts = path.slice(folder === '' ? 0 : folder.length + 1).split('/');
    const depth = recursive ? parts.length : 1;
    for (let level = 1; level <= depth; level++) {
      const entryPath = [folder, ...parts.slice(0, level)].filter(Boolean).join('/');
      const isBlob = level === parts.length;
      if (!isBlob && entries.has(entryPath)) continue;
      entries.set(entryPath, {
        id: isBlob ? entry.blobId : createHash('sha1').update(`tree ${entryPath}`).digest('hex'),
        name: parts[level - 1] ?? '',
        type: isBlob ? 'blob' : 'tree',
        path: entryPath,
        mode: isBlob ? entry.mode : '040000',
      });
    }
  }
  if (entries.size === 0 && folder !== '') return notFound('Tree');
  return { status: 200, list: [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : 1)) };
}

function blob(request: FakeRequest, sha: string): FakeAnswer {
  const bytes = request.project.blobs.get(sha);
  if (!bytes) return notFound('Blob');
  return { status: 200, raw: bytes, headers: { 'content-type': 'text/plain; charset=utf-8' } };
}

function file(request: FakeRequest, path: string, raw: boolean): FakeAnswer {
  const ref = request.query.get('ref');
  if (ref === null) return badRequest('ref is missing');
  const commitId = request.project.resolve(ref);
  if (commitId === undefined) return notFound('Commit');
  const entry = request.project.commits.get(commitId)?.tree.get(path);
  const bytes = entry === undefined ? undefined : request.project.blobs.get(entry.blobId);
  if (!entry || !bytes) return notFound('File');
  const metadata = {
    file_name: path.slice(path.lastIndexOf('/') + 1),
    file_path: path,
    size: bytes.byteLength,
    encoding: 'base64',
    content_sha256: createHash('sha256').update(bytes).digest('hex'),
    ref,
    blob_id: entry.blobId,
    commit_id: commitId,
    last_commit_id: commitId,
    execute_filemode: entry.mode === '100755',
  };
  const headers = Object.fromEntries(
    Object.entries(metadata).map(([key, value]) => [`x-gitlab-${key.replace(/_/g, '-')}`, String(value)]),
  );
  if (raw) return { status: 200, raw: bytes, headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' } };
  return { status: 200, headers, body: { ...metadata, content: Buffer.from(bytes).toString('base64') } };
}

function compare(request: FakeRequest): FakeAnswer {
  const { project, query } = request;
  const from = project.resolve(query.get('from') ?? '');
  const to = project.resolve(query.get('to') ?? '');
  if (from === undefined || to === undefined) return notFound('Ref');
  const base = query.get('straight') === 'true' ? from : (project.mergeBase(from, to) ?? from);
  const diffs = project.diff(base, to).map((change) => ({
    old_path: change.oldPath,
    new_path: change.newPath,
    a_mode: change.aMode,
    b_mode: change.bMode,
    diff: '',
    collapsed: false,
    too_large: false,
    new_file: change.kind === 'added',
    renamed_file: change.kind === 'renamed',
    deleted_file: change.kind === 'deleted',
    generated_file: false,
  }));
  const commits = project.commitsBetween(base, to).map((found) => commitJson(request, found));
  return {
    status: 200,
    body: {
      commit: commits[0] ?? null,
      commits,
      diffs,
      compare_timeout: false,
      compare_same_ref: from === to,
      web_url: `${request.webUrl}/${project.path}/-/compare/${from}...${to}`,
    },
  };
}

function mergeRequestJson(request: FakeRequest, merge: FakeMergeRequest) {
  return {
    id: merge.id,
    iid: merge.iid,
    project_id: request.project.id,
    title: merge.title,
    description: merge.description,
    state: merge.state,
    created_at: merge.createdAt,
    updated_at: merge.createdAt,
    target_branch: merge.targetBranch,
    source_branch: merge.sourceBranch,
    source_project_id: request.project.id,
    target_project_id: request.project.id,
    author: userJson(request, merge.author),
    draft: false,
    sha: request.project.branches.get(merge.sourceBranch) ?? null,
    detailed_merge_status: 'mergeable',
    web_url: `${request.webUrl}/${request.project.path}/-/merge_requests/${merge.iid}`,
  };
}

function noteJson(request: FakeRequest, merge: FakeMergeRequest, note: FakeNote) {
  return {
    id: note.id,
    type: null,
    body: note.body,
    author: userJson(request, note.author),
    created_at: note.createdAt,
    updated_at: note.updatedAt,
    system: note.system,
    noteable_id: merge.id,
    noteable_type: 'MergeRequest',
    project_id: request.project.id,
    resolvable: false,
    confidential: false,
    internal: false,
    noteable_iid: merge.iid,
    commands_changes: {},
  };
}

function mergeRequests(request: FakeRequest, iid?: string, sub?: string, noteId?: string): FakeAnswer {
  const { project, method, query, body } = request;
  if (iid === undefined) {
    if (method === 'GET') {
      const state = query.get('state') ?? 'all';
      const found = project.mergeRequests.filter(
        (merge) =>
          (state === 'all' || merge.state === state) &&
          [merge.sourceBranch, null].includes(query.get('source_branch')) &&
          [merge.targetBranch, null].includes(query.get('target_branch')),
      );
      return { status: 200, list: found.map((merge) => mergeRequestJson(request, merge)) };
    }
    if (method !== 'POST') return { status: 405, body: { message: '405 Method Not Allowed' } };
    const source = String(body.source_branch ?? '');
    const target = String(body.target_branch ?? '');
    if (source === '' || target === '' || body.title === undefined) {
      return badRequest('source_branch, target_branch, title are missing');
    }
    const open = project.mergeRequests.find((merge) => merge.state === 'opened' && merge.sourceBranch === source);
    if (open) {
      return {
        status: 409,
        body: { message: [`Another open merge request already exists for this source branch: !${open.iid}`] },
      };
    }
    if (!project.branches.has(source) || !project.branches.has(target)) {
      return { status: 422, body: { message: ['Source branch does not exist'] } };
    }
    const made = project.openMergeRequest({
      sourceBranch: source,
      targetBranch: target,
      title: String(body.title),
      description: String(body.description ?? ''),
      author: request.user,
    });
    return { status: 201, body: mergeRequestJson(request, made) };
  }
  const merge = project.mergeRequests.find((found) => String(found.iid) === iid);
  if (!merge) return notFound('Merge Request');
  if (sub === undefined && method === 'GET') return { status: 200, body: mergeRequestJson(request, merge) };
  if (sub !== 'notes') return { status: 404, body: { error: '404 Not Found' } };
  if (noteId === undefined && method === 'GET') {
    const ascending = query.get('sort') === 'asc';
    const notes = ascending ? merge.notes : [...merge.notes].reverse();
    return { status: 200, list: notes.map((note) => noteJson(request, merge, note)) };
  }
  if (noteId === undefined && method === 'POST') {
    if (typeof body.body !== 'string' || body.body === '') return badRequest('body is missing');
    return { status: 201, body: noteJson(request, merge, project.addNote(merge, body.body, request.user)) };
  }
  const note = merge.notes.find((found) => String(found.id) === noteId);
  if (!note) return notFound('Note');
  if (method !== 'PUT') return { status: 405, body: { message: '405 Method Not Allowed' } };
  if (note.author.id !== request.user.id) return { status: 403, body: { message: '403 Forbidden' } };
  note.body = String(body.body ?? note.body);
  note.updatedAt = new Date(Date.parse(note.updatedAt) + 1000).toISOString();
  return { status: 200, body: noteJson(request, merge, note) };
}

const STATUS_STATES = new Set(['pending', 'running', 'success', 'failed', 'canceled', 'skipped']);

function statusJson(status: FakeGitLabProject['statuses'][number]) {
  return {
    id: status.id,
    sha: status.sha,
    ref: null,
    status: status.status,
    name: status.name,
    target_url: status.targetUrl,
    description: status.description,
    created_at: status.createdAt,
    started_at: null,
    finished_at: ['success', 'failed', 'canceled'].includes(status.status) ? status.createdAt : null,
    allow_failure: false,
    coverage: null,
    author: { id: status.author.id, username: status.author.username, name: status.author.name },
  };
}

/** POST /statuses/:sha: a pending or running status of the same name moves on; a finished one is followed by a new
 * one, as GitLab's external commit statuses do. */
function postStatus(request: FakeRequest, sha: string): FakeAnswer {
  const { project, body } = request;
  if (!project.commits.has(sha)) return notFound('Commit');
  const state = String(body.state ?? '');
  if (!STATUS_STATES.has(state)) return badRequest('state does not have a valid value');
  const name = String(body.name ?? body.context ?? 'default');
  const description = body.description === undefined ? null : String(body.description);
  const targetUrl = body.target_url === undefined ? null : String(body.target_url);
  const open = project.statuses.find(
    (status) => status.sha === sha && status.name === name && ['pending', 'running'].includes(status.status),
  );
  if (open && open.status === state) {
    return badRequest(`Cannot transition status via :${state} from :${state}`);
  }
  if (open) {
    Object.assign(open, { status: state, description, targetUrl });
    return { status: 201, body: statusJson(open) };
  }
  const made = {
    id: project.nextId(),
    sha,
    name,
    status: state,
    description,
    targetUrl,
    author: request.user,
    createdAt: new Date().toISOString(),
  };
  project.statuses.push(made);
  return { status: 201, body: statusJson(made) };
}
