/** The world `driftless import` tests run in: the simulator with the account's services, stacks and scalable targets,
 * and an empty folder to import into, both cleaned up after the test. */
import { rm } from 'node:fs/promises';
import { RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { type AwsSimulator, createAwsSimulator } from '../../shared/sim/index.ts';
import { LocalGitSource } from '../../shared/source/local-git.ts';
import { loadRepository, type RepositorySnapshot } from '../../shared/spec/repository.ts';
import { readTree } from './fixtures.ts';
import { makeRepo, makeTempDir } from './git-repo.ts';
import { seedDeclarations } from './seed.ts';

export type Cleanups = (() => Promise<void> | void)[];

/** A fresh simulator and an empty output folder; both are cleaned up through `cleanups`. */
export async function importWorld(cleanups: Cleanups) {
  const simulator = createAwsSimulator();
  const out = await makeTempDir('driftless-import-');
  cleanups.push(
    () => simulator.restore(),
    () => rm(out, { recursive: true, force: true }),
  );
  return { simulator, out, clients: importClients(simulator) };
}

/** The declarations of the folder `dir` (committed to a throwaway repository, read as a commit) running in the
 * simulator, made through the real API calls. */
export async function seedFolder(
  simulator: AwsSimulator,
  dir: string,
  cleanups: Cleanups,
): Promise<RepositorySnapshot> {
  const repository = await makeRepo(await readTree(dir));
  cleanups.push(() => repository.cleanup());
  const snapshot = await loadRepository(new LocalGitSource({ repoDir: repository.dir }), { ref: 'HEAD' });
  await seedDeclarations(simulator, snapshot.declarations);
  return snapshot;
}

/** Scalable targets registered in the simulator's Application Auto Scaling through the real SDK client, as an
 * operator (or a CDK app) registers them. */
export async function registerScalableTargets(
  simulator: AwsSimulator,
  targets: readonly { resourceId: string; minCapacity: number; maxCapacity: number }[],
): Promise<void> {
  for (const target of targets) {
    await simulator.autoScaling.send(
      new RegisterScalableTargetCommand({
        ServiceNamespace: 'ecs',
        ResourceId: target.resourceId,
        ScalableDimension: 'ecs:service:DesiredCount',
        MinCapacity: target.minCapacity,
        MaxCapacity: target.maxCapacity,
      }),
    );
  }
}

/** Every client `driftless import` needs, answered by the simulator. */
export function importClients(simulator: AwsSimulator) {
  return { ecs: simulator.ecs, cloudFormation: simulator.cloudFormation, autoScaling: simulator.autoScaling };
}
