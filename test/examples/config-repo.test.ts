import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalGitSource } from '../../shared/source/local-git.ts';
import { declarationJsonSchema } from '../../shared/spec/json-schema.ts';
import { loadRepository, type RepositorySnapshot } from '../../shared/spec/repository.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../support/fixtures.ts';
import { makeRepo, type TestRepo } from '../support/git-repo.ts';

describe('examples/config-repo', () => {
  let repo: TestRepo;
  let snapshot: RepositorySnapshot;
  beforeAll(async () => {
    repo = await makeRepo(await readTree(EXAMPLE_REPO_DIR));
    snapshot = await loadRepository(new LocalGitSource({ repoDir: repo.dir }), { ref: 'main' });
  });
  afterAll(() => repo.cleanup());

  it('loads with no error and no warning', () => {
    expect(snapshot.diagnostics).toEqual([]);
    expect(snapshot.pruneBlocked).toBe(false);
  });

  it('declares a load-balanced Fargate service, an autoscaled worker and a stack with its template', () => {
    const web = snapshot.declarations.find((d) => d.id === 'EcsService:prod/web');
    const worker = snapshot.declarations.find((d) => d.id === 'EcsService:prod/worker');
    const network = snapshot.declarations.find((d) => d.id === 'CloudFormationStack:platform-network');

    expect(web?.kind === 'EcsService' && web.document.spec.loadBalancers?.length).toBe(1);
    expect(web?.kind === 'EcsService' && web.document.spec.deploymentConfiguration?.deploymentCircuitBreaker).toEqual({
      enable: true,
      rollback: true,
    });
    expect(worker?.kind === 'EcsService' && worker.document.spec.autoscaling).toEqual({
      minCapacity: 2,
      maxCapacity: 20,
    });
    expect(network?.kind === 'CloudFormationStack' && network.template.path).toBe('stacks/network.template.yaml');
    expect(network?.kind === 'CloudFormationStack' && network.template.parsed.Resources).toHaveProperty('Vpc');
  });

  it('ships the JSON Schema that `driftless schema` prints, so editors check the same rules', async () => {
    const committed = JSON.parse(await readFile(`${EXAMPLE_REPO_DIR}.schema/driftless.schema.json`, 'utf8'));
    expect(committed).toEqual(declarationJsonSchema());
  });

  it('starts every declaration with a yaml-language-server line that points at that schema', async () => {
    for (const file of ['driftless.yaml', 'services/web.yaml', 'services/worker.yaml', 'stacks/network.yaml']) {
      const firstLine = (await readFile(`${EXAMPLE_REPO_DIR}${file}`, 'utf8')).split('\n')[0];
      const depth = file.split('/').length - 1;
      expect(firstLine).toBe(`# yaml-language-server: $schema=${'../'.repeat(depth)}.schema/driftless.schema.json`);
    }
  });
});
