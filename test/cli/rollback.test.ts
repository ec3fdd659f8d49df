import { CodeCommitClient, GetFileCommand, GetFolderCommand } from '@aws-sdk/client-codecommit';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.ts';
import { pullRequestToken } from '../../shared/writeback/codecommit-proposer.ts';
import { ProposalStore } from '../functions/support.ts';
import { type CliWorld, capture, cliWorld } from '../support/cli.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../support/fixtures.ts';
import { makeRepo, type TestRepo } from '../support/git-repo.ts';

const WEB = 'EcsService:prod/web';

describe('driftless rollback', () => {
  let world: CliWorld | undefined;
  /** A repository of its own, for the tests that need no AWS. */
  let repo: TestRepo | undefined;
  afterEach(async () => {
    await world?.cleanup();
    await repo?.cleanup();
    world = undefined;
    repo = undefined;
  });

  async function setup() {
    world = await cliWorld('cli-rb');
    const web = (await readTree(EXAMPLE_REPO_DIR))['services/web.yaml']!.toString();
    return { ...world, web };
  }

  it('proposes a branch restoring web.yaml as the ledger last deployed it, leaving HEAD and the working tree alone', async () => {
    // Prepare: base is applied; then 1.4.3, then 1.4.4 (the commit rolled back) are applied.
    const { repo, simulator, clients, tables, reconcileArgs, web } = await setup();
    const io = capture();
    await run(reconcileArgs, io, clients);
    simulator.advance();
    const good = await repo.commit({ 'services/web.yaml': web.replace('web:1.4.2', 'web:1.4.3') }, 'web 1.4.3');
    await run(reconcileArgs, io, clients);
    simulator.advance();
    const bad = await repo.commit({ 'services/web.yaml': web.replace('web:1.4.2', 'web:1.4.4') }, 'web 1.4.4');
    await run(reconcileArgs, io, clients);
    simulator.advance();
    io.reset();

    // Act
    const exitCode = await run(['rollback', WEB, '--repo', repo.dir, ...tables], io, clients);
    const out = io.stdout();
    io.reset();
    const againExit = await run(['rollback', WEB, '--repo', repo.dir, ...tables], io, clients);

    // Assess
    const branch = `driftless/rollback/prod-web-${bad.slice(0, 12)}`;
    const commitId = (await repo.git('rev-parse', branch)).trim();
    expect(exitCode).toBe(0);
    expect(out).toBe(
      [
        `Proposed on branch ${branch}: Revert web to ${good.slice(0, 12)}: deployment rolled back`,
        `  branch:   ${branch}`,
        `  commit:   ${commitId}`,
        `  restores: services/web.yaml as of ${good}`,
        `  rolls back: ${bad}`,
        `  review:   git diff main ${branch}`,
        'driftless never merges it: merge it to roll back in Git, or delete it.',
        '',
      ].join('\n'),
    );
    expect(await repo.git('show', `${branch}:services/web.yaml`)).toBe(web.replace('web:1.4.2', 'web:1.4.3'));
    expect((await repo.git('rev-parse', `${branch}^`)).trim()).toBe(bad);
    expect((await repo.git('rev-parse', 'HEAD')).trim()).toBe(bad);
    expect(await repo.git('status', '--porcelain')).toBe('');
    expect(againExit).toBe(0);
    expect(io.stdout()).toBe(`Already proposed: branch ${branch} exists; nothing written.\n`);
  });

  it('restores --to without the ledger, and prints the result as data with --json', async () => {
    // Prepare
    const tree = await readTree(EXAMPLE_REPO_DIR);
    repo = await makeRepo(tree);
    const base = (await repo.git('rev-parse', 'HEAD')).trim();
    const web = tree['services/web.yaml']!.toString();
    const bad = await repo.commit({ 'services/web.yaml': web.replace('web:1.4.2', 'web:9.9.9') }, 'web 9.9.9');
    const io = capture();

    // Act
    const exitCode = await run(['rollback', WEB, '--repo', repo.dir, '--to', 'HEAD~1', '--no-ledger', '--json'], io);

    // Assess
    expect(exitCode).toBe(0);
    const result = JSON.parse(io.stdout());
    expect(result).toMatchObject({
      resourceId: WEB,
      rolledBackCommitId: bad,
      status: 'opened',
      branch: `driftless/rollback/prod-web-${bad.slice(0, 12)}`,
      previousCommitId: base,
      files: [{ path: 'services/web.yaml', content: web }],
    });
  });

  it('proposes nothing when a newer commit changed the files since the commit named, and says why', async () => {
    // Prepare
    const tree = await readTree(EXAMPLE_REPO_DIR);
    repo = await makeRepo(tree);
    const web = tree['services/web.yaml']!.toString();
    const bad = await repo.commit({ 'services/web.yaml': web.replace('web:1.4.2', 'web:9.9.9') }, 'web 9.9.9');
    const newer = await repo.commit({ 'services/web.yaml': web.replace('web:1.4.2', 'web:9.9.10') }, 'web 9.9.10');
    const io = capture();

    // Act
    const exitCode = await run(
      ['rollback', WEB, '--repo', repo.dir, '--commit', bad, '--to', `${bad}~1`, '--no-ledger'],
      io,
    );

    // Assess
    expect(exitCode).toBe(1);
    expect(io.stderr()).toBe(
      `error: nothing proposed: main changed services/web.yaml since ${bad.slice(0, 12)} (now at ${newer.slice(0, 12)}): a newer commit supersedes the rolled-back one, so nothing is proposed\n`,
    );
    expect((await repo.git('branch', '--list')).trim()).toBe('* main');
  });

  it('opens a CodeCommit pull request with --codecommit, reading the repository through the CodeCommit API', async () => {
    // Prepare: a CodeCommit repository whose content is a real git repository's, answered as the API reference shows.
    const tree = await readTree(EXAMPLE_REPO_DIR);
    repo = await makeRepo(tree);
    const git = repo.git;
    const base = (await git('rev-parse', 'HEAD')).trim();
    const web = tree['services/web.yaml']!.toString();
    const bad = await repo.commit({ 'services/web.yaml': web.replace('web:1.4.2', 'web:9.9.9') }, 'web 9.9.9');
    const store = new ProposalStore(
      new CodeCommitClient({
        region: 'us-east-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
        maxAttempts: 1,
      }),
    );
    store.branches.set('main', bad);
    store.mock.on(GetFolderCommand).callsFake(async (input: { commitSpecifier: string; folderPath: string }) => {
      const folder = input.folderPath.replace(/^\/+|\/+$/g, '');
      const listing = await git('ls-tree', '-z', input.commitSpecifier, ...(folder ? [`${folder}/`] : []));
      const entries = listing
        .split('\0')
        .filter(Boolean)
        .map((line) => {
          const [meta, path] = line.split('\t') as [string, string];
          const [, type, id] = meta.split(' ') as [string, string, string];
          return { type, id, path, relativePath: path.slice(folder ? folder.length + 1 : 0) };
        });
      return {
        commitId: input.commitSpecifier,
        folderPath: input.folderPath,
        treeId: 'f'.repeat(40),
        subFolders: entries
          .filter((entry) => entry.type === 'tree')
          .map((entry) => ({ treeId: entry.id, absolutePath: entry.path, relativePath: entry.relativePath })),
        files: entries
          .filter((entry) => entry.type === 'blob')
          .map((entry) => ({
            blobId: entry.id,
            absolutePath: entry.path,
            relativePath: entry.relativePath,
            fileMode: 'NORMAL',
          })),
        symbolicLinks: [],
        subModules: [],
      };
    });
    store.mock.on(GetFileCommand).callsFake(async (input: { commitSpecifier: string; filePath: string }) => {
      const content = new TextEncoder().encode(await git('show', `${input.commitSpecifier}:${input.filePath}`));
      return {
        commitId: input.commitSpecifier,
        blobId: (await git('rev-parse', `${input.commitSpecifier}:${input.filePath}`)).trim(),
        filePath: input.filePath,
        fileMode: 'NORMAL',
        fileSize: content.byteLength,
        fileContent: content,
      };
    });
    const io = capture();

    // Act
    const exitCode = await run(
      [
        'rollback',
        WEB,
        '--codecommit',
        'platform-config',
        '--ref',
        'main',
        '--to',
        base,
        '--commit',
        bad,
        '--no-ledger',
      ],
      io,
      { codeCommit: store.client },
    );
    store.mock.restore();

    // Assess
    const branch = `driftless/rollback/prod-web-${bad.slice(0, 12)}`;
    expect(exitCode).toBe(0);
    expect(io.stdout()).toContain(
      `Opened pull request 1: Revert web to ${base.slice(0, 12)}: deployment rolled back\n`,
    );
    expect(io.stdout()).not.toContain('git diff');
    expect(store.commandNames().filter((name) => name.startsWith('Create'))).toEqual([
      'CreateBranch',
      'CreateCommit',
      'CreatePullRequest',
    ]);
    expect(store.commits.get(store.branches.get(branch) ?? '')?.input).toEqual({
      repositoryName: 'platform-config',
      branchName: branch,
      parentCommitId: bad,
      authorName: 'driftless',
      commitMessage: `Revert web to ${base.slice(0, 12)}: deployment rolled back\n\nRestores services/web.yaml as of ${base}: the deployment of ${bad} to ${WEB} was rolled back.`,
      putFiles: [{ filePath: 'services/web.yaml', fileContent: new TextEncoder().encode(web) }],
    });
    expect(store.pullRequests[0]?.input).toMatchObject({
      targets: [{ repositoryName: 'platform-config', sourceReference: branch, destinationReference: 'main' }],
      clientRequestToken: pullRequestToken('platform-config', branch),
    });
    expect(store.pullRequests[0]?.input.description).toContain('driftless never merges this pull request');
  });

  it('refuses a resource id it cannot read, and --no-ledger without --to', async () => {
    const io = capture();
    expect(await run(['rollback', 'web', '--no-ledger', '--to', 'HEAD~1'], io)).toBe(1);
    expect(io.stderr()).toContain('web is not a resource id: use EcsService:<cluster>/<service>');
    io.reset();
    expect(await run(['rollback', WEB, '--no-ledger'], io)).toBe(1);
    expect(io.stderr()).toContain('--no-ledger needs --to');
  });

  it('explains itself in --help', async () => {
    const io = capture();
    expect(await run(['rollback', '--help'], io)).toBe(0);
    expect(io.stdout()).toContain('driftless never merges it');
    expect(io.stdout()).toContain('--to <sha>');
    expect(io.stdout()).toContain('driftless rollback EcsService:prod/web --repo . --to HEAD~1 --no-ledger');
  });
});
