/** What the demo's scenes share: the world a scene acts in, and how its output is indented under the step title. */
import type { AwsSimulator } from '../../shared/sim/index.ts';
import type { AwsClients } from '../context.ts';
import type { CliIo } from '../output.ts';

/** A scene's world: the narration, the CLI as a user types it, the simulator and the configuration repository. */
export interface SceneWorld {
  readonly say: (text: string) => void;
  readonly io: CliIo;
  readonly simulator: AwsSimulator;
  readonly repoDir: string;
  readonly git: (...args: string[]) => Promise<string>;
  readonly runCli: (argv: readonly string[], io: CliIo, clients: AwsClients) => Promise<number>;
}

/** `text` with every non-empty line indented by `depth` spaces, ending in one newline. */
export function indent(text: string, depth = 2): string {
  const pad = ' '.repeat(depth);
  return text
    .trimEnd()
    .split('\n')
    .map((line) => (line === '' ? line : `${pad}${line}`))
    .join('\n')
    .concat('\n');
}

/** The CLI's output, indented under the scene's own lines. */
export function indentedIo(io: CliIo, depth = 4): CliIo {
  return { ...io, out: (text) => io.out(indent(text, depth)), err: (text) => io.err(indent(text, depth)) };
}
