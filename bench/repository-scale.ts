/** Repository scale: the compiled `driftless validate` of a real git repository of N declarations in a fresh process (wall time
 * and peak RSS, next to a bare `node` start and the CLI's own start, and the command's own time inside the process),
 * and `driftless plan` of it against the simulator at the bench's latency in this process. The plan's reads go
 * unpaced there, since ECS's published rates alone would take longer than the goal at this size (the sweep figures
 * judge the rate floors); the floor a real account imposes is reported beside it. */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { run } from '../cli/main.ts';
import type { CliIo } from '../cli/output.ts';
import { buildPackage, DIST } from '../infra/build-package.ts';
import { REPOSITORY_ROOT } from '../infra/bundling.ts';
import { ECS_CLIENT_RATES } from '../shared/aws/token-bucket.ts';
import { createAwsSimulator } from '../shared/sim/index.ts';
import { loadRepository } from '../shared/spec/repository.ts';
import { fleetFiles, MemoryGitSource, seedFleet } from './support.ts';

const execFileAsync = promisify(execFile);
/** The compiled command, as an installed package runs it (bench/start-time.ts does the same). */
const CLI_MAIN = join(DIST, 'cli', 'main.js');

/** What dist/cli/start.js does, then the process's own peak RSS on the last line; the CLI's output is counted, not
 * kept. */
const CLI_ENTRY = `
const { run } = await import(process.argv[1]);
let printed = 0;
const io = { out: (text) => { printed += text.length; }, err: (text) => { printed += text.length; }, color: false };
const started = performance.now();
const exitCode = await run(process.argv.slice(2), io);
const commandSeconds = (performance.now() - started) / 1000;
process.stdout.write(JSON.stringify({ exitCode, printed, commandSeconds, maxRssKb: process.resourceUsage().maxRSS }) + '\\n');`;

export interface RepositoryScale {
  readonly declarations: number;
  /** Wall time of a fresh `node -e 0`: the floor any command pays. */
  readonly nodeStartSeconds: number;
  /** Wall time of a fresh process running the compiled `driftless --version`: node and the CLI's imports. */
  readonly cliStartSeconds: number;
  readonly validate: {
    readonly seconds: number;
    /** The command alone, inside the process: the fresh process's time less node's start and the CLI's imports. */
    readonly commandSeconds: number;
    readonly ratioToNodeStart: number;
    /** Of the whole process, worker threads included. */
    readonly peakRssMb: number;
    readonly exitCode: number;
  };
  readonly plan: {
    readonly seconds: number;
    readonly exitCode: number;
    readonly summary: string;
    readonly ecsReads: number;
    /** Latency of each simulated AWS call. */
    readonly latencyMs: number;
    /** Seconds the reads need at the rates driftless allows itself (just under ECS's published buckets): what the
     * plan of this repository takes at least on a real account. */
    readonly readRateFloorSeconds: number;
    readonly ratioToFloor: number;
  };
}

/** The burst is free; the rest of each API's calls go at its refill rate, and the slower API sets the pace. */
function readRateFloorSeconds(describeServices: number, describeTaskDefinition: number): number {
  const paced = (calls: number, bucket: { capacity: number; refillPerSecond: number }) =>
    Math.max(0, calls - bucket.capacity) / bucket.refillPerSecond;
  return Math.max(
    paced(describeServices, ECS_CLIENT_RATES.describeServices),
    paced(describeTaskDefinition, ECS_CLIENT_RATES.describeTaskDefinition),
  );
}

interface ChildRun {
  readonly seconds: number;
  readonly commandSeconds: number;
  readonly exitCode: number;
  readonly maxRssKb: number;
}

async function cliInFreshProcess(argv: readonly string[]): Promise<ChildRun> {
  const started = performance.now();
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--no-warnings', '--input-type=module', '-e', CLI_ENTRY, CLI_MAIN, ...argv],
    { cwd: REPOSITORY_ROOT, maxBuffer: 16 * 1024 * 1024 },
  );
  const seconds = (performance.now() - started) / 1000;
  const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
    exitCode: number;
    commandSeconds: number;
    maxRssKb: number;
  };
  return { seconds, commandSeconds: report.commandSeconds, exitCode: report.exitCode, maxRssKb: report.maxRssKb };
}

async function nodeStartSeconds(): Promise<number> {
  const started = performance.now();
  await execFileAsync(process.execPath, ['-e', '0']);
  return (performance.now() - started) / 1000;
}

/** A repository with the files committed on `main`, built with the git CLI, isolated from the user's configuration. */
async function commitRepository(files: Map<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'driftless-scale-'));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', HOME: dir, GIT_CONFIG_NOSYSTEM: '1', LC_ALL: 'C' };
  const git = (...args: string[]) => execFileAsync('git', args, { cwd: dir, env, maxBuffer: 64 * 1024 * 1024 });
  await git('init', '--quiet', '--initial-branch=main');
  for (const [path, text] of files) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  await git('add', '--all');
  await git('-c', 'user.name=bench', '-c', 'user.email=bench@example.com', 'commit', '--quiet', '-m', 'fleet');
  return dir;
}

/** Reads as fast as the simulator answers: the plan path itself is timed, not the rate floor. */
const UNPACED = { capacity: 1e9, refillPerSecond: 1e9 };

export async function repositoryScale(declarations: number, latencyMs = 30): Promise<RepositoryScale> {
  // Built from the current source first, so the figure is the code under test, not an older build.
  await buildPackage();
  const files = fleetFiles(declarations);
  const dir = await commitRepository(files);
  try {
    const nodeStart = await nodeStartSeconds();
    const cliStart = await cliInFreshProcess(['--version']);
    const validate = await cliInFreshProcess(['validate', '--repo', dir]);

    // The simulator holds every service as driftless created it, so the plan reads all of them and finds them in sync.
    const simulator = createAwsSimulator({ latencyMs });
    try {
      seedFleet(simulator, await loadRepository(new MemoryGitSource(files, 0), { ref: 'main' }), 'bench');
      let printed = '';
      const io: CliIo = {
        out: (text) => {
          printed += text;
        },
        err: () => undefined,
        color: false,
      };
      const started = performance.now();
      const planExit = await run(['plan', '--repo', dir, '--installation', 'bench'], io, {
        ecs: simulator.ecs,
        cloudFormation: simulator.cloudFormation,
        ecsReadRates: { describeServices: UNPACED, describeTaskDefinition: UNPACED },
      });
      const planSeconds = (performance.now() - started) / 1000;
      const describeServices = simulator.calls['ECS.DescribeServices'] ?? 0;
      const describeTaskDefinition = simulator.calls['ECS.DescribeTaskDefinition'] ?? 0;
      const floor = readRateFloorSeconds(describeServices, describeTaskDefinition);
      return {
        declarations,
        nodeStartSeconds: nodeStart,
        cliStartSeconds: cliStart.seconds,
        validate: {
          seconds: validate.seconds,
          commandSeconds: validate.commandSeconds,
          ratioToNodeStart: validate.seconds / nodeStart,
          peakRssMb: validate.maxRssKb / 1024,
          exitCode: validate.exitCode,
        },
        plan: {
          seconds: planSeconds,
          exitCode: planExit,
          summary: /^Plan: .*$/m.exec(printed)?.[0] ?? printed.trim().split('\n').at(-1) ?? '',
          ecsReads: describeServices + describeTaskDefinition,
          latencyMs,
          readRateFloorSeconds: floor,
          ratioToFloor: floor > 0 ? planSeconds / floor : Number.NaN,
        },
      };
    } finally {
      simulator.restore();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
