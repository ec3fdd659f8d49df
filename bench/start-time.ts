/** Start time of the compiled `driftless` command as an installed package runs it: `--version`, `--help` and
 * `validate` of the example repository, each in a fresh process, the median of several runs next to `node -e 0`. */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildPackage, DIST } from '../infra/build-package.ts';
import { REPOSITORY_ROOT } from '../infra/bundling.ts';

const execFileAsync = promisify(execFile);

/** Issue 18's goals, in seconds of wall time from process start to exit. */
export const START_TIME_GOAL = { version: 0.3, help: 0.3, validate: 0.6 } as const;

export interface StartTimeFigure {
  readonly command: keyof typeof START_TIME_GOAL;
  readonly medianSeconds: number;
  /** The median over `node -e 0`'s median: what the command costs beyond starting Node at all. */
  readonly ratioToNodeStart: number;
  readonly meetsGoal: boolean;
}

export interface StartTime {
  readonly runs: number;
  readonly nodeStartSeconds: number;
  readonly commands: readonly StartTimeFigure[];
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

async function wallSeconds(args: readonly string[], cwd: string): Promise<number> {
  const started = performance.now();
  await execFileAsync(process.execPath, args, { cwd, env: { PATH: process.env.PATH, HOME: cwd } });
  return (performance.now() - started) / 1000;
}

/** A real git repository holding the example configuration: what a user validates. */
async function exampleRepository(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'driftless-start-'));
  await cp(join(REPOSITORY_ROOT, 'examples', 'config-repo'), dir, { recursive: true });
  const git = (...args: string[]) =>
    execFileAsync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', ...args], { cwd: dir });
  await git('init', '-q', '-b', 'main');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'example');
  return dir;
}

/** Builds dist/ from the current source first, so the figure is the code under test, not an older build. */
export async function startTime(runs: number): Promise<StartTime> {
  await buildPackage();
  const cli = join(DIST, 'cli', 'start.js');
  const repo = await exampleRepository();
  try {
    const commands = {
      version: [cli, '--version'],
      help: [cli, '--help'],
      validate: [cli, 'validate', '--repo', repo],
    } as const;
    const samples: Record<'node' | keyof typeof commands, number[]> = { node: [], version: [], help: [], validate: [] };
    // Interleaved, so a burst of load on the shared machine falls on every command alike.
    for (let run = 0; run < runs; run += 1) {
      samples.node.push(await wallSeconds(['-e', '0'], repo));
      for (const [name, args] of Object.entries(commands)) {
        samples[name as keyof typeof commands].push(await wallSeconds(args, repo));
      }
    }
    const nodeStartSeconds = median(samples.node);
    return {
      runs,
      nodeStartSeconds,
      commands: (Object.keys(commands) as (keyof typeof commands)[]).map((command) => {
        const medianSeconds = median(samples[command]);
        return {
          command,
          medianSeconds,
          ratioToNodeStart: medianSeconds / nodeStartSeconds,
          meetsGoal: medianSeconds <= START_TIME_GOAL[command],
        };
      }),
    };
  } finally {
    await rm(repo, { recursive: true, force: true });
  }
}
