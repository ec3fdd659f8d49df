/** Scene 12 of the demo: the example's api releases by canary. `driftless reconcile --wait` follows the rollout through
 * its stages (10 % of production traffic held for the canary bake, then all of it, then the bake time) on the demo's
 * clock; a second release trips the api-5xx alarm, ECS shifts the traffic back, and --wait exits 3. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AwsClients } from '../context.ts';
import type { CliIo } from '../output.ts';
import { indentedIo, type SceneWorld } from './narration.ts';

export interface CanarySceneWorld extends SceneWorld {
  /** The CLI's clients, the demo's clock included. */
  readonly clients: AwsClients;
  /** Moves the demo's clock on (the simulator follows it). */
  readonly passTime: (milliseconds: number) => void;
  /** The arguments every CLI call of the demo needs: repository, tables, DynamoDB Local endpoint, installation. */
  readonly cliArgs: readonly string[];
}

/** True when the scene went as narrated: the canary release succeeded (exit 0) and the alarmed one rolled back (exit 3). */
export async function canaryScene(world: CanarySceneWorld): Promise<boolean> {
  const { say, io, simulator, repoDir, git, runCli } = world;
  // Not a terminal even when the demo's output is one: --wait prints a line per change, which reads as narration.
  const indented: CliIo = { ...indentedIo(io), tty: false };
  // While --wait sleeps between its reads, the demo's clock moves and ECS moves the rollout on as far as it allows.
  const clients: AwsClients = {
    ...world.clients,
    sleep: async (milliseconds) => {
      world.passTime(milliseconds);
      simulator.advanceRollouts();
    },
  };
  const release = async (from: string, to: string) => {
    const file = join(repoDir, 'services/api.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace(`api:${from}`, `api:${to}`));
    await git('commit', '-q', '-am', `api: image ${to}`);
    say(`  $ git commit -am "api: image ${to}" && driftless reconcile --wait --poll-interval 1m`);
    return runCli(
      ['reconcile', '--wait', '--poll-interval', '1m', '--timeout', '1h', ...world.cliArgs],
      indented,
      clients,
    );
  };

  say(
    '  api: 10% of production traffic for 5 minutes, then all of it, then a 10-minute bake (the demo moves its clock).',
  );
  const released = await release('2.7.0', '2.8.0');

  say('\n  The next release trips the api-5xx alarm during its bake: ECS shifts the traffic back, --wait exits 3.');
  simulator.alarmNextRollout('prod', 'api', 'api-5xx');
  const alarmed = await release('2.8.0', '2.9.0');
  const live = simulator.services().find((service) => service.serviceName === 'api');
  const image = simulator
    .taskDefinitions()
    .find((revision) => revision.taskDefinition.taskDefinitionArn === live?.taskDefinition)
    ?.taskDefinition.containerDefinitions?.[0]?.image?.split(':')
    .at(-1);
  say(`  api runs ${image ?? '(unknown)'} again; git revert makes Git say so too.`);
  await git('revert', '--no-edit', 'HEAD');
  return released === 0 && alarmed === 3 && image === '2.8.0';
}
