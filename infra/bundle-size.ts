/**
 * `npm run bundle-size`: bundles every function for every Git host the stack can deploy it with, exactly as the stack
 * does (infra/bundling.ts), prints each bundle's size, and fails when a bundle contains test code: nothing under test/ and never the ECS/CloudFormation simulator
 * (shared/sim/, the demo's and the bench's engine) may reach a Lambda function.
 */
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { SOURCES, type SourceHost } from '../functions/environment.ts';
import {
  BUNDLED_FUNCTION_NAMES,
  type BundledFunctionName,
  esbuildOptions,
  type FunctionName,
  RESOURCE_SPEC_DATA_FILE,
  readsResourceSpec,
} from './bundling.ts';
import { FUNCTION_PLANS } from './function-plans.ts';

/** One bundle the stack can deploy: a function built for one Git host. */
export interface BundleTarget {
  readonly name: BundledFunctionName;
  readonly host: SourceHost;
}

/** The hosts a function is deployed with: its plan's sources (infra/function-plans.ts); the webhook receiver only
 * with GitHub or GitLab; the ledger archive, which reads no repository, once (its bundle is the same for every host). */
function hostsOf(name: BundledFunctionName): readonly SourceHost[] {
  if (name === 'webhook') return ['github', 'gitlab'];
  if (name === 'ledger-archive') return ['codecommit'];
  return FUNCTION_PLANS[name as FunctionName].sources ?? SOURCES;
}

/** Every (function, host) pair the stack can deploy, in BUNDLED_FUNCTION_NAMES order. */
export function bundleTargets(names: readonly BundledFunctionName[] = BUNDLED_FUNCTION_NAMES): BundleTarget[] {
  return names.flatMap((name) => hostsOf(name).map((host) => ({ name, host })));
}

export interface BundleReport extends BundleTarget {
  /** The bundle written (index.mjs, as in the deployed asset). */
  readonly outfile: string;
  /** JavaScript bytes (index.mjs). */
  readonly bytes: number;
  /** Data files beside it in the asset (the resource specification index), 0 when none. */
  readonly dataBytes: number;
  /** Bundled input files, relative to the repository root. */
  readonly inputs: readonly string[];
  /** Inputs that must never be in a Lambda bundle. */
  readonly forbidden: readonly string[];
  /** Bytes of the bundle by npm package (`@aws-sdk/client-ecs`) or, for our code, by top folder (`shared/spec`):
   * what tree shaking kept, where `inputs` lists every file resolved. */
  readonly bytesByPackage: Readonly<Record<string, number>>;
}

/** The package (or our own top folder) an input path belongs to. */
export function packageOf(input: string): string {
  const packageName = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
  if (packageName) return packageName;
  const parts = input.split(sep).join('/').split('/');
  return parts.length > 2 ? parts.slice(0, 2).join('/') : (parts[0] ?? input);
}

/** Test and demo code by path: anything under a test/ directory, and the simulator (shared/sim/) wherever it lives. */
export function isForbiddenInput(path: string): boolean {
  const normalized = path.split(sep).join('/');
  return /(^|\/)test\//.test(normalized) || /(^|\/)shared\/sim\//.test(normalized) || /simulator/i.test(normalized);
}

/** Copies the resource specification index into an asset directory; its size. */
export function copyResourceSpec(assetDirectory: string): number {
  const target = join(assetDirectory, basename(RESOURCE_SPEC_DATA_FILE));
  copyFileSync(RESOURCE_SPEC_DATA_FILE, target);
  return statSync(target).size;
}

/** Bundles each target into `outdir/<name>-<host>/index.mjs` and reports its size and inputs. */
export async function bundleFunctions(
  outdir: string,
  targets: readonly BundleTarget[] = bundleTargets(),
): Promise<BundleReport[]> {
  const reports: BundleReport[] = [];
  for (const { name, host } of targets) {
    const outfile = join(outdir, `${name}-${host}`, 'index.mjs');
    const result = await build(esbuildOptions(name, outfile, host));
    // The asset as the stack makes it: the resource specification index beside index.mjs for the functions that read it.
    const dataBytes = readsResourceSpec(name) ? copyResourceSpec(dirname(outfile)) : 0;
    // Metafile inputs are relative to absWorkingDir, the repository root.
    const inputs = Object.keys(result.metafile?.inputs ?? {});
    const bytesByPackage: Record<string, number> = {};
    for (const output of Object.values(result.metafile?.outputs ?? {})) {
      for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
        if (bytesInOutput > 0)
          bytesByPackage[packageOf(input)] = (bytesByPackage[packageOf(input)] ?? 0) + bytesInOutput;
      }
    }
    reports.push({
      name,
      host,
      outfile,
      bytes: statSync(outfile).size,
      dataBytes,
      inputs,
      forbidden: inputs.filter(isForbiddenInput),
      bytesByPackage,
    });
  }
  return reports;
}

/** bundleFunctions into a temporary directory, removed afterwards. */
export async function measureBundles(targets: readonly BundleTarget[] = bundleTargets()): Promise<BundleReport[]> {
  const outdir = mkdtempSync(join(tmpdir(), 'driftless-bundle-'));
  try {
    return await bundleFunctions(outdir, targets);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The `count` packages that weigh most in a bundle, as `name KB` pairs. */
export function largestPackages(report: BundleReport, count: number): string {
  return Object.entries(report.bytesByPackage)
    .sort(([, a], [, b]) => b - a)
    .slice(0, count)
    .map(([name, bytes]) => `${name} ${(bytes / 1024).toFixed(0)}`)
    .join(', ');
}

export function formatReport(reports: readonly BundleReport[]): string {
  const rows = reports.map((report) => [
    report.name,
    report.name === 'ledger-archive' ? 'any' : report.host,
    (report.bytes / 1024).toFixed(1),
    report.dataBytes === 0 ? '' : `+ ${(report.dataBytes / 1024).toFixed(0)} data`,
    String(report.inputs.length),
    report.forbidden.length === 0 ? 'ok' : `${report.forbidden.length} test file(s)`,
    largestPackages(report, 4),
  ]);
  const header = ['function', 'host', 'JS (KB)', 'data (KB)', 'inputs', 'test code', 'largest (KB)'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => {
      if (column === cells.length - 1) return cell;
      return column <= 1 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0);
    });
  return [header, ...rows].map((cells) => line(cells).join('  ')).join('\n');
}

async function main(): Promise<void> {
  const reports = await measureBundles();
  process.stdout.write(`${formatReport(reports)}\n`);
  const offending = reports.filter((report) => report.forbidden.length > 0);
  if (offending.length > 0) {
    for (const report of offending) {
      process.stderr.write(
        `\n${report.name} (${report.host}) bundles test code:\n${report.forbidden.map((f) => `  ${f}`).join('\n')}\n`,
      );
    }
    process.exitCode = 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main();
}
