/** Cold start of each Lambda function: bundle size and module initialisation time (a fresh `node` process importing
 * the bundle, median of several runs), next to the same for a bundle that leaves the AWS SDK external. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { ENVIRONMENT, type SourceHost } from '../functions/environment.ts';
import { bundleTargets } from '../infra/bundle-size.ts';
import { esbuildOptions, REPOSITORY_ROOT } from '../infra/bundling.ts';

/** What the stack sets, so module initialisation runs as in Lambda (it reads and checks the environment). */
const FUNCTION_ENV: Record<string, string> = {
  [ENVIRONMENT.repository]: 'platform-config',
  [ENVIRONMENT.branch]: 'main',
  [ENVIRONMENT.installationId]: 'bench',
  [ENVIRONMENT.ledgerTable]: 'driftless-ledger',
  [ENVIRONMENT.lockTable]: 'driftless-lock',
  [ENVIRONMENT.allowedClusters]: 'prod',
  [ENVIRONMENT.stackNamePrefix]: 'platform-',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  POWERTOOLS_SERVICE_NAME: 'driftless',
};

/** Imports the bundle in a fresh process and reports, in ms, how long the import took (init, not process start). */
const IMPORT_AND_TIME = `const t = performance.now(); await import(process.argv[1]); process.stdout.write(String(performance.now() - t));`;

async function initMs(bundle: string, runs: number, host: SourceHost): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--no-warnings', '--input-type=module', '-e', IMPORT_AND_TIME, bundle],
      { env: { ...FUNCTION_ENV, [ENVIRONMENT.source]: host, PATH: process.env.PATH ?? '' }, cwd: REPOSITORY_ROOT },
    );
    times.push(Number(stdout));
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

/** Issue 18's goal for every function: the bundle at most this large, its module initialisation at most this long. */
export const COLD_START_GOAL = { bundleKb: 400, initMs: 150 } as const;

export interface ColdStart {
  readonly name: string;
  /** The Git host the bundle was built for (the stack builds each function for its deployment's host). */
  readonly host: SourceHost;
  readonly bundleKb: number;
  readonly initMs: number;
  /** Both within COLD_START_GOAL. */
  readonly meetsGoal: boolean;
  readonly externalBundleKb: number;
  readonly externalInitMs: number;
}

export async function coldStarts(runs: number): Promise<ColdStart[]> {
  const dir = await mkdtemp(join(tmpdir(), 'driftless-bundles-'));
  try {
    const results: ColdStart[] = [];
    for (const { name, host } of bundleTargets()) {
      const bundled = join(dir, `${name}-${host}.mjs`);
      await build(esbuildOptions(name, bundled, host));
      // The comparison bundle keeps the SDK out, as when relying on the runtime's copy; it resolves the SDK from
      // this repository's node_modules, so it is written next to it.
      const externalInRepo = join(REPOSITORY_ROOT, 'node_modules', '.cache', `driftless-${name}-${host}.external.mjs`);
      await build({ ...esbuildOptions(name, externalInRepo, host), external: ['@aws-sdk/*', '@smithy/*'] });
      const bundleKb = (await stat(bundled)).size / 1024;
      const bundledInitMs = await initMs(bundled, runs, host);
      results.push({
        name,
        host,
        bundleKb,
        initMs: bundledInitMs,
        meetsGoal: bundleKb <= COLD_START_GOAL.bundleKb && bundledInitMs <= COLD_START_GOAL.initMs,
        externalBundleKb: (await stat(externalInRepo)).size / 1024,
        externalInitMs: await initMs(externalInRepo, runs, host),
      });
      await rm(externalInRepo, { force: true });
    }
    return results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
