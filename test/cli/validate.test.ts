import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.ts';
import { declarationJsonSchema } from '../../shared/spec/json-schema.ts';
import { capture } from '../support/cli.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../support/fixtures.ts';
import { makeRepo, type TestRepo } from '../support/git-repo.ts';

describe('driftless validate', () => {
  let repo: TestRepo | undefined;
  afterEach(async () => {
    await repo?.cleanup();
    repo = undefined;
  });

  it('passes the example configuration repository with exit code 0', async () => {
    // Prepare
    repo = await makeRepo(await readTree(EXAMPLE_REPO_DIR));
    const io = capture();

    // Act
    const exitCode = await run(['validate', '--repo', repo.dir], io);

    // Assess
    expect(exitCode).toBe(0);
    expect(io.stdout()).toContain('✓ valid: 4 declarations (3 EcsService, 1 CloudFormationStack)');
    expect(io.stderr()).toBe('');
  });

  it('groups errors by file with line:column and exits 1', async () => {
    // Prepare
    repo = await makeRepo(await readTree(EXAMPLE_REPO_DIR));
    await repo.commit(
      {
        'services/web.yaml': (await readTree(EXAMPLE_REPO_DIR))
          ['services/web.yaml']!.toString()
          .replace('desiredCount: 3', 'desiredCont: 3'),
      },
      'typo',
    );
    const io = capture();

    // Act
    const exitCode = await run(['validate', '--repo', repo.dir, '--ref', 'main'], io);

    // Assess
    expect(exitCode).toBe(1);
    expect(io.stdout()).toMatch(
      /services\/web\.yaml\n {2}9:3 +error +E_SCHEMA +unknown key "desiredCont" in spec; did you mean "desiredCount"\?/,
    );
    expect(io.stdout()).toContain('✗ 1 error in 1 file');
    expect(io.stdout()).toContain('3 declarations valid (2 EcsService, 1 CloudFormationStack)');
  });

  it('prints machine output with --json', async () => {
    // Prepare
    repo = await makeRepo({
      'driftless.yaml': 'apiVersion: driftless/v1\nkind: Settings\nspec:\n  targets: { clusters: [prod] }\n',
      'services/api.yaml': 'apiVersion: driftless/v1\nkind: EcsService\nmetadata: { name: api, cluster: staging }\n',
    });
    const io = capture();

    // Act
    const exitCode = await run(['validate', '--repo', repo.dir, '--json'], io);

    // Assess
    expect(exitCode).toBe(1);
    const output = JSON.parse(io.stdout());
    expect(output).toMatchObject({ valid: false, errors: 1, declarations: [] });
    expect(output.diagnostics).toEqual([
      expect.objectContaining({ code: 'E_SCHEMA', file: 'services/api.yaml', line: 1, message: 'spec: is required' }),
    ]);
  });

  it('reads commits only: an uncommitted fix is not validated, and it says so', async () => {
    // Prepare
    repo = await makeRepo({ 'driftless.yaml': 'apiVersion: driftless/v1\nkind: Settinsg\n' });
    await repo.write({ 'driftless.yaml': 'apiVersion: driftless/v1\nkind: Settings\nspec: { targets: {} }\n' });
    const io = capture();

    // Act
    const exitCode = await run(['validate', '--repo', repo.dir], io);

    // Assess
    expect(exitCode).toBe(1);
    expect(io.stdout()).toContain('unknown kind "Settinsg"; did you mean "Settings"?');
    expect(io.stderr()).toContain('uncommitted changes are not validated');
  });

  it('exits 1 with a read error, never "valid", for a missing ref or a folder that is not a repository', async () => {
    // Prepare
    repo = await makeRepo(await readTree(EXAMPLE_REPO_DIR));
    const missingRef = capture();
    const notARepo = capture();

    // Act
    const missingRefExit = await run(['validate', '--repo', repo.dir, '--ref', 'no-such-branch'], missingRef);
    const notARepoExit = await run(['validate', '--repo', `${repo.dir}/services`, '--json'], notARepo);

    // Assess
    expect(missingRefExit).toBe(1);
    expect(missingRef.stderr()).toContain('ref not found: no-such-branch');
    expect(notARepoExit).toBe(1);
    expect(JSON.parse(notARepo.stdout())).toMatchObject({ valid: false, error: { name: 'GitReadError' } });
  });

  it('validates only the folder given with --path', async () => {
    // Prepare
    const example = await readTree(EXAMPLE_REPO_DIR);
    const nested = Object.fromEntries(Object.entries(example).map(([path, content]) => [`ecs/${path}`, content]));
    repo = await makeRepo({ ...nested, 'other/broken.yaml': 'not: [valid' });
    const io = capture();

    // Act
    const exitCode = await run(['validate', '--repo', repo.dir, '--path', 'ecs'], io);

    // Assess
    expect(exitCode).toBe(0);
    expect(io.stdout()).toContain('under ecs/');
  });
});

describe('driftless (the installed command)', () => {
  it('prints help for the program and for each command', async () => {
    // Act
    const program = await promisify(execFile)('node', ['cli/bin.mjs', '--help']);
    const validate = await promisify(execFile)('node', ['cli/bin.mjs', 'validate', '--help']);

    // Assess
    expect(program.stdout).toContain('Usage: driftless');
    expect(program.stdout).toMatch(/validate \[options\]/);
    expect(program.stdout).toMatch(/schema \[options\]/);
    expect(validate.stdout).toContain('--ref <ref>');
    expect(validate.stdout).toContain('Exit 0 valid');
  });

  it('exits 1 on an unknown command', async () => {
    // Act
    const failure = await promisify(execFile)('node', ['cli/bin.mjs', 'valdate']).catch((error) => error);

    // Assess
    expect(failure.code).toBe(1);
    expect(failure.stderr).toContain("unknown command 'valdate'");
  });
});

describe('driftless schema', () => {
  it('prints the JSON Schema generated from the declaration schemas, indented by two spaces', async () => {
    // Prepare
    const io = capture();

    // Act
    const exitCode = await run(['schema'], io);

    // Assess
    expect(exitCode).toBe(0);
    expect(io.stdout()).toBe(`${JSON.stringify(declarationJsonSchema(), null, 2)}\n`);
    expect(io.stdout()).toContain('"const": "EcsService"');
  });
});
