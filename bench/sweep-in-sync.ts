/** The bench's child processes: the in-sync sweep scenario (bench/sweep-process.ts in a fresh process of its own,
 * bundled as the functions are) and the simulated account it and the fan-out's shard workers reach over loopback
 * (bench/sim-server.ts in another). */
import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { LAMBDA_BUNDLE, REPOSITORY_ROOT, RESOURCE_SPEC_DATA_FILE } from '../infra/bundling.ts';
import type { SweepMeasurement } from './sweep-process.ts';

const execFileAsync = promisify(execFile);

/** The V8 limits Lambda's Node.js runtime sets for a function of `memoryMb` (its bootstrap gives a tenth of the memory
 * to the new space, half of that per semi-space, and the rest to the old space): a sweep run under them fits. */
function lambdaHeapFlags(memoryMb: number): string[] {
  const newSpace = Math.floor(memoryMb / 10);
  return [`--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memoryMb - newSpace}`];
}

/** The in-sync sweep of `count` services, run by bench/sweep-process.ts in a fresh process of its own, bundled as the
 * functions are (infra/bundling.ts), under the heap limits of a 256 MB function; the simulated account runs in another
 * (bench/sim-server.ts), reached over loopback HTTP. The sweep's peak RSS is then its own: neither the scenarios before
 * it nor the simulator are in it. */
export async function sweepInSync(count: number, latencyMs: number): Promise<SweepMeasurement> {
  const scripts = await benchScripts();
  const server = await startSimServerProcess(scripts.simServer, count, latencyMs);
  try {
    const { stdout } = await execFileAsync(
      process.execPath,
      ['--no-warnings', ...lambdaHeapFlags(256), scripts.sweep, String(count), String(latencyMs), server.url],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as SweepMeasurement;
  } finally {
    server.stop();
  }
}

/** Starts bench/sim-server.ts seeded with `count` services (`fleetShape`: services per family and clusters, when not
 * the sweep's); resolves with its URL once it listens. */
export function startSimServerProcess(
  script: string,
  count: number,
  latencyMs: number,
  fleetShape: readonly number[] = [],
): Promise<{ url: string; stop: () => void }> {
  const child = spawn(
    process.execPath,
    ['--no-warnings', script, String(count), String(latencyMs), ...fleetShape.map(String)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const stop = () => {
    child.stdin.end();
    child.kill();
  };
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const line = output.split('\n')[0];
      if (output.includes('\n') && line) resolve({ url: (JSON.parse(line) as { url: string }).url, stop });
    });
    child.once('exit', (code) => reject(new Error(`the simulator endpoint exited (${code}) before it listened`)));
    child.once('error', reject);
  });
}

let bundles: Promise<{ sweep: string; simServer: string; shard: string }> | undefined;
/** The bench's child scripts, bundled once per bench run as the functions are bundled. */
export function benchScripts(): Promise<{ sweep: string; simServer: string; shard: string }> {
  bundles ??= (async () => {
    const outdir = await mkdtemp(join(tmpdir(), 'driftless-sweep-'));
    const entry = (name: string) => fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
    await build({
      ...LAMBDA_BUNDLE,
      entryPoints: [entry('sweep-process'), entry('sim-server'), entry('shard-process')],
      absWorkingDir: REPOSITORY_ROOT,
      outdir,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      banner: { js: LAMBDA_BUNDLE.banner },
      mainFields: [...LAMBDA_BUNDLE.mainFields],
      external: [...LAMBDA_BUNDLE.external],
      alias: { ...LAMBDA_BUNDLE.alias },
      logLevel: 'warning',
    });
    // They validate declarations against the resource specification index, read beside the bundle as in a function.
    await copyFile(RESOURCE_SPEC_DATA_FILE, join(outdir, basename(RESOURCE_SPEC_DATA_FILE)));
    return {
      sweep: join(outdir, 'sweep-process.mjs'),
      simServer: join(outdir, 'sim-server.mjs'),
      shard: join(outdir, 'shard-process.mjs'),
    };
  })();
  return bundles;
}
