/** The example repository seeded live in the simulator, with a stack not declared in it (platform-shared-network,
 * outputs SubnetA and SubnetB) whose outputs web's subnets are then taken from: the set-up of the CLI tests that
 * show stack-output references in `plan` and `status`. */
import { type AwsSimulator, createAwsSimulator } from '../../shared/sim/index.ts';
import { LocalGitSource } from '../../shared/source/local-git.ts';
import { loadRepository } from '../../shared/spec/repository.ts';
import { EXAMPLE_REPO_DIR, readTree } from './fixtures.ts';
import { makeRepo, type TestRepo } from './git-repo.ts';
import { seedDeclarations } from './seed.ts';

/** web's subnets as the example declares them, literally. */
export const LITERAL_SUBNETS = 'subnets: [subnet-0a1b2c3d4e5f60718, subnet-0b2c3d4e5f6071829]';

/** Seeds the example live and the shared network stack, then commits web with `webSubnets` in place of its literal
 * subnets. The caller restores the simulator and cleans the repository up. */
export async function seedSharedNetwork(
  webSubnets: string,
  subnetB: string,
): Promise<{ repo: TestRepo; simulator: AwsSimulator }> {
  const tree = await readTree(EXAMPLE_REPO_DIR);
  const repo = await makeRepo(tree);
  const simulator = createAwsSimulator();
  const snapshot = await loadRepository(new LocalGitSource({ repoDir: repo.dir }), { ref: 'HEAD' });
  await seedDeclarations(simulator, snapshot.declarations);
  simulator.seedStack({
    stackName: 'platform-shared-network',
    templateBody: [
      'Resources:',
      '  Topic: { Type: AWS::SNS::Topic }',
      'Outputs:',
      '  SubnetA: { Value: subnet-0a1b2c3d4e5f60718 }',
      `  SubnetB: { Value: ${subnetB} }`,
    ].join('\n'),
  });
  await repo.commit(
    { 'services/web.yaml': String(tree['services/web.yaml']).replace(LITERAL_SUBNETS, webSubnets) },
    'web: subnets from platform-shared-network',
  );
  return { repo, simulator };
}
