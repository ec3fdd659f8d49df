/** The fake GitHub's repository (shared/sim/github-server.ts): git objects hashed exactly as git hashes them, branches,
 * pull requests, issue comments and check runs, so the fake answers with the ids a real repository would have. */
import { createHash } from 'node:crypto';

export type TreeMode = '100644' | '100755' | '120000' | '040000' | '160000';

export interface TreeItem {
  readonly name: string;
  readonly mode: TreeMode;
  readonly type: 'blob' | 'tree' | 'commit';
  readonly sha: string;
}

/** A file of a flattened tree: its mode and blob (or, for a submodule, commit) id. */
export interface FlatEntry {
  readonly mode: TreeMode;
  readonly sha: string;
}

export interface GitPerson {
  readonly name: string;
  readonly email: string;
  /** ISO-8601, whole seconds, UTC. */
  readonly date: string;
}

export interface CommitObject {
  readonly sha: string;
  readonly tree: string;
  readonly parents: readonly string[];
  readonly author: GitPerson;
  readonly committer: GitPerson;
  readonly message: string;
}

export interface FakePullRequest {
  readonly number: number;
  readonly title: string;
  readonly body: string;
  readonly head: string;
  readonly base: string;
  state: 'open' | 'closed';
}

export interface FakeComment {
  readonly id: number;
  readonly issueNumber: number;
  body: string;
  readonly login: string;
  readonly createdAt: string;
  updatedAt: string;
}

export interface FakeAnnotation {
  readonly path: string;
  readonly start_line: number;
  readonly end_line: number;
  readonly annotation_level: 'notice' | 'warning' | 'failure';
  readonly message: string;
  readonly title?: string;
}

export interface FakeCheckRun {
  readonly id: number;
  readonly name: string;
  readonly headSha: string;
  status: string;
  conclusion: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  readonly annotations: FakeAnnotation[];
  /** Requests that wrote this run (the create, then each update). */
  writes: number;
}

export interface FileDiff {
  readonly filename: string;
  readonly status: 'added' | 'removed' | 'modified' | 'renamed';
  readonly sha: string;
  readonly previous_filename?: string;
}

export const DEFAULT_PERSON = { name: 'Test Author', email: 'author@example.com' } as const;

export class FakeGitHubRepository {
  readonly blobs = new Map<string, Buffer>();
  readonly trees = new Map<string, readonly TreeItem[]>();
  readonly commits = new Map<string, CommitObject>();
  readonly branches = new Map<string, string>();
  readonly pulls: FakePullRequest[] = [];
  readonly comments: FakeComment[] = [];
  readonly checkRuns: FakeCheckRun[] = [];
  private clock = Date.parse('2026-01-01T00:00:00Z');
  private nextId = 1000;

  /** A fresh id for a pull request, comment or check run. */
  id(): number {
    return this.nextId++;
  }

  putBlob(content: Buffer | string): string {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    const sha = gitHash('blob', bytes);
    this.blobs.set(sha, bytes);
    return sha;
  }

  /** Builds the nested trees of a flat path → entry map and answers the root tree's id. */
  putTree(files: ReadonlyMap<string, FlatEntry>): string {
    const children = new Map<string, Map<string, FlatEntry>>();
    const items: TreeItem[] = [];
    for (const [path, entry] of files) {
      const slash = path.indexOf('/');
      if (slash < 0) {
        items.push({ name: path, mode: entry.mode, type: entry.mode === '160000' ? 'commit' : 'blob', sha: entry.sha });
        continue;
      }
      const folder = path.slice(0, slash);
      const inner = children.get(folder) ?? new Map<string, FlatEntry>();
      inner.set(path.slice(slash + 1), entry);
      children.set(folder, inner);
    }
    for (const [name, inner] of children) items.push({ name, mode: '040000', type: 'tree', sha: this.putTree(inner) });
    // git orders a folder as if its name ended in '/'.
    const key = (item: TreeItem) => (item.type === 'tree' ? `${item.name}/` : item.name);
    items.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    const body = Buffer.concat(
      items.map((item) =>
        Buffer.concat([
          Buffer.from(`${item.mode.replace(/^0/, '')} ${item.name}\0`, 'utf8'),
          Buffer.from(item.sha, 'hex'),
        ]),
      ),
    );
    const sha = gitHash('tree', body);
    this.trees.set(sha, items);
    return sha;
  }

  /** Every file (blob, symlink, submodule) under a tree, by path. */
  flatten(treeSha: string, prefix = ''): Map<string, FlatEntry> {
    const files = new Map<string, FlatEntry>();
    for (const item of this.trees.get(treeSha) ?? []) {
      const path = `${prefix}${item.name}`;
      if (item.type === 'tree')
        for (const [inner, entry] of this.flatten(item.sha, `${path}/`)) files.set(inner, entry);
      else files.set(path, { mode: item.mode, sha: item.sha });
    }
    return files;
  }

  createCommit(fields: Omit<CommitObject, 'sha' | 'author' | 'committer'> & Partial<CommitObject>): CommitObject {
    this.clock += 60_000;
    const date = new Date(this.clock).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const author = fields.author ?? { ...DEFAULT_PERSON, date };
    const committer = fields.committer ?? author;
    const person = (who: GitPerson) => `${who.name} <${who.email}> ${Math.floor(Date.parse(who.date) / 1000)} +0000`;
    const text = [
      `tree ${fields.tree}`,
      ...fields.parents.map((parent) => `parent ${parent}`),
      `author ${person(author)}`,
      `committer ${person(committer)}`,
      '',
      fields.message,
    ].join('\n');
    const commit = { ...fields, author, committer, sha: gitHash('commit', Buffer.from(text, 'utf8')) };
    this.commits.set(commit.sha, commit);
    return commit;
  }

  /** Commits `files` (null deletes) on top of the branch (or as its first commit) and moves the branch. */
  commit(
    branch: string,
    files: Readonly<Record<string, string | Uint8Array | null>>,
    message = 'change',
    author?: Omit<GitPerson, 'date'>,
  ): string {
    const parent = this.branches.get(branch);
    const flat = parent ? this.flatten(this.commitOf(parent).tree) : new Map<string, FlatEntry>();
    for (const [path, content] of Object.entries(files)) {
      if (content === null) flat.delete(path);
      else flat.set(path, { mode: '100644', sha: this.putBlob(Buffer.from(content)) });
    }
    const date = new Date(this.clock + 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const who = author ? { ...author, date } : undefined;
    const commit = this.createCommit({
      tree: this.putTree(flat),
      parents: parent ? [parent] : [],
      message,
      ...(who ? { author: who, committer: who } : {}),
    });
    this.branches.set(branch, commit.sha);
    return commit.sha;
  }

  commitOf(sha: string): CommitObject {
    const commit = this.commits.get(sha);
    if (!commit) throw new Error(`no commit ${sha}`);
    return commit;
  }

  /** A full commit id or a branch name, as the API accepts them in a path. */
  resolveCommit(ref: string): CommitObject | undefined {
    return this.commits.get(ref) ?? this.commits.get(this.branches.get(ref) ?? '');
  }

  ancestors(sha: string): Set<string> {
    const seen = new Set<string>();
    const stack = [sha];
    while (stack.length > 0) {
      const next = stack.pop() as string;
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...(this.commits.get(next)?.parents ?? []));
    }
    return seen;
  }

  /** The newest common ancestor (breadth first from head), as `git merge-base` finds it for linear histories. */
  mergeBase(base: string, head: string): string | undefined {
    const ofBase = this.ancestors(base);
    const queue = [head];
    const seen = new Set<string>();
    while (queue.length > 0) {
      const next = queue.shift() as string;
      if (ofBase.has(next)) return next;
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...(this.commits.get(next)?.parents ?? []));
    }
    return undefined;
  }

  /** The files that differ between two trees; a removed and an added path with the same blob is a rename. */
  diff(fromTree: string | undefined, toTree: string): FileDiff[] {
    const before = fromTree ? this.flatten(fromTree) : new Map<string, FlatEntry>();
    const after = this.flatten(toTree);
    const removed = [...before].filter(([path]) => !after.has(path));
    const diffs: FileDiff[] = [];
    for (const [path, entry] of after) {
      const old = before.get(path);
      if (old && (old.sha !== entry.sha || old.mode !== entry.mode)) {
        diffs.push({ filename: path, status: 'modified', sha: entry.sha });
      } else if (!old) {
        const moved = removed.findIndex(([, gone]) => gone.sha === entry.sha);
        const [from] = moved >= 0 ? removed.splice(moved, 1) : [];
        diffs.push(
          from
            ? { filename: path, status: 'renamed', sha: entry.sha, previous_filename: from[0] }
            : { filename: path, status: 'added', sha: entry.sha },
        );
      }
    }
    for (const [path, entry] of removed) diffs.push({ filename: path, status: 'removed', sha: entry.sha });
    return diffs.sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));
  }
}

function gitHash(type: 'blob' | 'tree' | 'commit', body: Buffer): string {
  return createHash('sha1')
    .update(Buffer.concat([Buffer.from(`${type} ${body.length}\0`, 'utf8'), body]))
    .digest('hex');
}
