/**
 * A ChangeProposer for a repository on local disk (the CLI and the demo): the proposal becomes one commit on a new
 * branch, made with git plumbing only — hash-object, a temporary index (GIT_INDEX_FILE), write-tree, commit-tree —
 * and published by `update-ref refs/heads/<branch> <commit> ""`, which creates the branch or fails if it exists. The
 * working tree, the real index and HEAD are never touched. There is no pull request: the branch is the proposal.
 *
 * Made once: the branch and its commit appear together (update-ref is the only write that is visible), so an
 * existing branch always means the proposal was made before → `exists`. Objects written by an attempt that failed
 * before update-ref are unreferenced and left to git gc.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { TerminalError } from '../errors.ts';
import { REPOSITORY_ENV_VARS } from '../source/local-git.ts';
import {
  type ChangeProposer,
  checkProposal,
  PROPOSER_AUTHOR,
  type Proposal,
  type ProposalResult,
} from './proposals.ts';

export interface LocalGitProposerOptions {
  /** The repository: a working tree's top folder or a bare repository. */
  readonly repoDir: string;
  /** The author and committer e-mail of driftless's commits. */
  readonly email?: string;
  /** Commit time (author and committer); now by default. Tests pin it so commit ids are reproducible. */
  readonly now?: () => number;
}

interface GitRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export class LocalGitProposer implements ChangeProposer {
  private readonly repoDir: string;
  private readonly email: string;
  private readonly now: () => number;
  private readonly env: NodeJS.ProcessEnv;

  constructor(options: LocalGitProposerOptions) {
    this.repoDir = resolve(options.repoDir);
    this.email = options.email ?? 'driftless@localhost';
    this.now = options.now ?? Date.now;
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of REPOSITORY_ENV_VARS) delete env[name];
    this.env = {
      ...env,
      GIT_TERMINAL_PROMPT: '0',
      LC_ALL: 'C',
      GIT_LITERAL_PATHSPECS: '1',
      GIT_CEILING_DIRECTORIES: dirname(this.repoDir),
    };
  }

  async propose(proposal: Proposal): Promise<ProposalResult> {
    checkProposal(proposal);
    const { branch } = proposal;
    const ref = `refs/heads/${branch}`;
    const format = await this.run(['check-ref-format', ref]);
    if (format.exitCode !== 0) throw new TerminalError(`invalid branch name '${branch}' for ${this.repoDir}`);
    if (await this.refExists(ref)) return { status: 'exists', branch };

    const indexFile = join(tmpdir(), `driftless-proposal-${randomUUID()}.index`);
    const withIndex = { GIT_INDEX_FILE: indexFile };
    try {
      await this.git(['read-tree', proposal.baseCommitId], `cannot read base commit ${proposal.baseCommitId}`, {
        env: withIndex,
      });
      for (const file of proposal.files) {
        if (file.content === null) {
          await this.git(['update-index', '--force-remove', '--', file.path], `cannot delete ${file.path}`, {
            env: withIndex,
          });
          continue;
        }
        const blob = (
          await this.git(['hash-object', '-w', '--stdin'], `cannot store ${file.path}`, { input: file.content })
        ).trim();
        const mode = await this.modeAt(proposal.baseCommitId, file.path);
        await this.git(
          ['update-index', '--add', '--cacheinfo', `${mode},${blob},${file.path}`],
          `cannot stage ${file.path}`,
          {
            env: withIndex,
          },
        );
      }
      const tree = (await this.git(['write-tree'], 'cannot write the proposal tree', { env: withIndex })).trim();
      const baseTree = (
        await this.git(['rev-parse', `${proposal.baseCommitId}^{tree}`], 'cannot read base tree')
      ).trim();
      if (tree === baseTree) {
        throw new TerminalError(
          `nothing to propose on ${branch}: the files are already as proposed at ${proposal.baseCommitId}`,
        );
      }
      const date = `${Math.floor(this.now() / 1000)} +0000`;
      const commitId = (
        await this.git(['commit-tree', tree, '-p', proposal.baseCommitId, '-F', '-'], 'cannot write the commit', {
          input: proposal.commitMessage,
          env: {
            GIT_AUTHOR_NAME: PROPOSER_AUTHOR,
            GIT_AUTHOR_EMAIL: this.email,
            GIT_AUTHOR_DATE: date,
            GIT_COMMITTER_NAME: PROPOSER_AUTHOR,
            GIT_COMMITTER_EMAIL: this.email,
            GIT_COMMITTER_DATE: date,
          },
        })
      ).trim();
      // The empty old value makes update-ref create the branch only: a branch made meanwhile is not overwritten.
      const created = await this.run(['update-ref', '-m', 'driftless: propose', ref, commitId, '']);
      if (created.exitCode !== 0) {
        if (await this.refExists(ref)) return { status: 'exists', branch };
        throw new TerminalError(`cannot create branch ${branch} in ${this.repoDir}: ${created.stderr.trim()}`);
      }
      return { status: 'opened', branch, commitId };
    } finally {
      await rm(indexFile, { force: true });
    }
  }

  private async refExists(ref: string): Promise<boolean> {
    const result = await this.run(['rev-parse', '--verify', '--quiet', ref]);
    if (result.exitCode === 0) return true;
    if (result.exitCode === 1 && result.stderr.trim() === '') return false;
    throw new TerminalError(`cannot look up ${ref} in ${this.repoDir}: ${result.stderr.trim()}`);
  }

  /** Keeps an existing file's mode (executable stays executable); a new file is a regular one. */
  private async modeAt(commitId: string, path: string): Promise<string> {
    const listed = await this.git(['ls-tree', '-z', commitId, '--', path], `cannot read ${path} at ${commitId}`);
    const mode = listed.split(' ')[0];
    return mode === '100755' ? '100755' : '100644';
  }

  private async git(
    args: readonly string[],
    what: string,
    options: { readonly input?: string; readonly env?: NodeJS.ProcessEnv } = {},
  ): Promise<string> {
    const result = await this.run(args, options);
    if (result.exitCode !== 0) {
      throw new TerminalError(
        `${what} in ${this.repoDir}: git ${args.join(' ')} exited with ${result.exitCode}: ${result.stderr.trim()}`,
      );
    }
    return result.stdout;
  }

  private run(
    args: readonly string[],
    options: { readonly input?: string; readonly env?: NodeJS.ProcessEnv } = {},
  ): Promise<GitRun> {
    return new Promise((resolvePromise, reject) => {
      const child = spawn('git', ['-C', this.repoDir, ...args], {
        env: { ...this.env, ...options.env },
        stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        windowsHide: true,
      });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.on('error', (error) => reject(new TerminalError(`cannot run git in ${this.repoDir}`, { cause: error })));
      child.on('close', (exitCode) =>
        resolvePromise({
          exitCode,
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
        }),
      );
      if (options.input !== undefined && child.stdin) {
        // A git that exits before reading its input reports its own error; the broken pipe adds nothing.
        child.stdin.on('error', () => {});
        child.stdin.end(options.input);
      }
    });
  }
}
