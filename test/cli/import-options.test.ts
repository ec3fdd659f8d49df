/** `driftless import`'s contract with the person running it: what it writes, what it never overwrites, what it holds
 * back, its exit codes, its --json summary and its progress line. */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.ts';
import type { AwsSimulator } from '../../shared/sim/index.ts';
import { capture } from '../support/cli.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../support/fixtures.ts';
import { makeRepo } from '../support/git-repo.ts';
import { type Cleanups, importWorld, seedFolder } from '../support/import-world.ts';

describe('driftless import options', () => {
  const cleanups: Cleanups = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const world = () => importWorld(cleanups);

  async function seedExample(simulator: AwsSimulator) {
    await seedFolder(simulator, EXAMPLE_REPO_DIR, cleanups);
  }

  function seedPlainService(
    simulator: AwsSimulator,
    name: string,
    environment: { name: string; value: string }[] = [],
  ) {
    simulator.seedService({
      cluster: 'prod',
      serviceName: name,
      desiredCount: 1,
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
      taskDefinition: {
        family: name,
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        containerDefinitions: [{ name: 'app', image: `example/${name}:1`, environment }],
      },
    });
  }

  it('writes driftless.yaml, the schema and the declarations of a fresh repository, and it validates', async () => {
    // Prepare
    const { simulator, out, clients } = await world();
    await seedExample(simulator);
    const io = capture();

    // Act
    const exitCode = await run(
      ['import', '--cluster', 'prod', '--all', '--stack', 'platform-network', '--out', out],
      io,
      clients,
    );
    const repo = await makeRepo(await readTree(out));
    cleanups.push(() => repo.cleanup());
    const validateIo = capture();
    const validateExit = await run(['validate', '--repo', repo.dir], validateIo, clients);

    // Assess
    expect(exitCode).toBe(0);
    expect(io.stdout()).toContain('wrote   services/api.yaml');
    expect(io.stdout()).toContain('wrote   services/web.yaml');
    expect(io.stdout()).toContain('wrote   stacks/platform-network.template.yaml');
    expect(io.stdout()).toContain('Imported: 7 files written, 0 skipped, 0 held back, 0 not valid, 0 decisions.');
    const settings = await readFile(join(out, 'driftless.yaml'), 'utf8');
    expect(settings).toContain('clusters:\n      - prod');
    expect(settings).toContain('stackNamePrefix: platform-');
    expect(settings).toContain('- arn:aws:iam::123456789012:role/app/web-task');
    expect(settings).toContain('- AWS::EC2::VPC');
    expect(JSON.parse(await readFile(join(out, '.schema/driftless.schema.json'), 'utf8'))).toHaveProperty('$schema');
    expect(validateIo.stdout()).not.toContain('error');
    expect(validateExit).toBe(0);
  });

  it('never overwrites a file without --force: it skips it and exits 1; --force writes it', async () => {
    // Prepare
    const { simulator, out, clients } = await world();
    seedPlainService(simulator, 'web');
    await run(['import', '--cluster', 'prod', '--service', 'web', '--out', out], capture(), clients);
    await writeFile(join(out, 'services/web.yaml'), '# edited by hand\n');
    const io = capture();

    // Act
    const skippedExit = await run(
      ['import', '--cluster', 'prod', '--service', 'web', '--out', out, '--json'],
      io,
      clients,
    );
    const skipped = JSON.parse(io.stdout());
    const afterSkip = await readFile(join(out, 'services/web.yaml'), 'utf8');
    const forcedExit = await run(
      ['import', '--cluster', 'prod', '--service', 'web', '--out', out, '--force'],
      capture(),
      clients,
    );

    // Assess
    expect(skippedExit).toBe(1);
    expect(skipped).toMatchObject({
      written: [],
      skipped: ['services/web.yaml'],
      settings: { written: false, missing: [] },
    });
    expect(afterSkip).toBe('# edited by hand\n');
    expect(forcedExit).toBe(0);
    expect(await readFile(join(out, 'services/web.yaml'), 'utf8')).toContain('image: example/web:1');
  });

  it('holds back a service with a secret-looking value and exits 1; --write-without-secrets writes the rest', async () => {
    // Prepare
    const { simulator, out, clients } = await world();
    seedPlainService(simulator, 'api', [
      { name: 'DB_PASSWORD', value: 'correct-horse-battery' },
      { name: 'LOG_LEVEL', value: 'info' },
    ]);
    const held = capture();
    const written = capture();

    // Act
    const heldExit = await run(['import', '--cluster', 'prod', '--service', 'api', '--out', out], held, clients);
    const heldFiles = await readTree(out);
    const writtenExit = await run(
      ['import', '--cluster', 'prod', '--service', 'api', '--out', out, '--write-without-secrets', '--json'],
      written,
      clients,
    );
    const summary = JSON.parse(written.stdout());
    const text = await readFile(join(out, 'services/api.yaml'), 'utf8');

    // Assess
    expect(heldExit).toBe(1);
    expect(Object.keys(heldFiles).filter((path) => path.startsWith('services/'))).toEqual([]);
    expect(held.stdout()).toContain('held back services/api.yaml');
    expect(held.stdout()).toContain(
      'services/api.yaml: containerDefinitions[app].environment DB_PASSWORD looks like a secret: left out; move it to Secrets Manager or SSM',
    );
    expect(held.stdout()).not.toContain('correct-horse-battery');
    expect(writtenExit).toBe(0);
    expect(summary.decisions).toHaveLength(1);
    expect(summary.written).toContain('services/api.yaml');
    expect(text).toContain('LOG_LEVEL');
    expect(text).not.toContain('DB_PASSWORD');
    expect(text).not.toContain('correct-horse-battery');
  });

  it('redraws a progress counter on a terminal, and prints none otherwise', async () => {
    // Prepare
    const { simulator, out, clients } = await world();
    for (let index = 0; index < 12; index += 1) seedPlainService(simulator, `svc-${String(index).padStart(2, '0')}`);
    const terminal = { ...capture(), tty: true };
    const piped = capture();

    // Act
    const ttyExit = await run(['import', '--cluster', 'prod', '--all', '--out', out], terminal, clients);
    await rm(join(out, 'services'), { recursive: true });
    const pipedExit = await run(['import', '--cluster', 'prod', '--all', '--out', out], piped, clients);

    // Assess
    expect(ttyExit).toBe(0);
    expect(terminal.stderr()).toBe('\rReading services: 12/12\n');
    expect(pipedExit).toBe(0);
    expect(piped.stderr()).toBe('');
    expect(piped.stdout()).toContain('12 files written');
  });

  it('reports what an existing driftless.yaml lacks, services that do not exist, and usage mistakes', async () => {
    // Prepare
    const { simulator, out, clients } = await world();
    seedPlainService(simulator, 'web');
    await writeFile(
      join(out, 'driftless.yaml'),
      'apiVersion: driftless/v1\nkind: Settings\nspec:\n  targets:\n    clusters: [staging]\n',
    );
    const io = capture();
    const nothing = capture();
    const noServices = capture();

    // Act
    const exitCode = await run(['import', '--cluster', 'prod', '--service', 'web', 'ghost', '--out', out], io, clients);
    const nothingExit = await run(['import'], nothing, clients);
    const noServicesExit = await run(['import', '--cluster', 'prod'], noServices, clients);

    // Assess
    expect(exitCode).toBe(1);
    expect(io.stdout()).toContain('not found EcsService:prod/ghost');
    expect(io.stdout()).toContain(
      'driftless.yaml exists; for the imported declarations to validate it needs:\n  spec.targets.clusters: add prod',
    );
    expect(io.stdout()).toContain('wrote   services/web.yaml');
    expect(await readFile(join(out, 'driftless.yaml'), 'utf8')).toContain('clusters: [staging]');
    expect(nothingExit).toBe(1);
    expect(nothing.stderr()).toContain('say what to import');
    expect(noServicesExit).toBe(1);
    expect(noServices.stderr()).toContain(
      '--cluster prod: name the services (--service S…) or import them all (--all)',
    );
  });

  it('does not write a stack whose template the secret rules refuse, and says why at file:line', async () => {
    // Prepare
    const { simulator, out, clients } = await world();
    simulator.seedStack({
      stackName: 'platform-cache',
      templateBody: [
        'Resources:',
        '  Cache:',
        '    Type: AWS::ElastiCache::ReplicationGroup',
        '    Properties:',
        '      ReplicationGroupDescription: cache',
        '      AuthToken: hunter2hunter2hunter2',
        '',
      ].join('\n'),
    });
    const io = capture();

    // Act
    const exitCode = await run(['import', '--stack', 'platform-cache', '--out', out, '--json'], io, clients);
    const summary = JSON.parse(io.stdout());
    const files = await readTree(out);

    // Assess
    expect(exitCode).toBe(1);
    expect(summary.invalid).toEqual([
      {
        id: 'CloudFormationStack:platform-cache',
        diagnostics: [
          expect.objectContaining({ code: 'E_SECRET_VALUE', file: 'stacks/platform-cache.template.yaml', line: 6 }),
        ],
      },
    ]);
    expect(Object.keys(files)).toEqual([]);
    expect(JSON.stringify(summary)).not.toContain('hunter2');
  });

  it('explains itself with --help, examples included', async () => {
    // Prepare
    const io = capture();

    // Act
    const exitCode = await run(['import', '--help'], io);

    // Assess
    expect(exitCode).toBe(0);
    expect(io.stdout()).toContain('--write-without-secrets');
    expect(io.stdout()).toContain('driftless import --cluster prod --all --out ../platform-config');
  });
});
