/**
 * `npm run bundle-size`: bundles every function exactly as the stack does (infra/bundling.ts), prints each bundle's
 * size, and fails when a bundle contains test code: nothing under test/ and never the ECS/CloudFormation simulator
 * (shared/sim/, the demo's and the bench's engine) may reach a Lambda function.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { BUNDLED_FUNCTION_NAMES, type BundledFunctionName, esbuildOptions } from './bundling.ts';

export interface BundleReport {
  readonly name: BundledFunctionName;
  /** The bundle written (index.mjs, as in the deployed asset). */
  readonly outfile: string;
  readonly bytes: number;
  /** Bundled input files, relative to the repository root. */
  readonly inputs: readonly string[];
  /** Inputs that must never be in a Lambda bundle. */
  readonly forbidden: readonly string[];
}

/** Test and demo code by path: anything under a test/ directory, and the simulator (shared/sim/) wherever it lives. */
export function isForbiddenInput(path: string): boolean {
  const normalized = path.split(sep).join('/');
  return /(^|\/)test\//.test(normalized) || /(^|\/)shared\/sim\//.test(normalized) || /simulator/i.test(normalized);
}

/** Bundles each function into `outdir/<name>/index.mjs` and reports its size and inputs. */
export async function bundleFunctions(
  outdir: string,
  names: readonly BundledFunctionName[] = BUNDLED_FUNCTION_NAMES,
): Promise<BundleReport[]> {
  const reports: BundleReport[] = [];
  for (const name of names) {
    const outfile = join(outdir, name, 'index.mjs');
    const result = await build(esbuildOptions(name, outfile));
    // Metafile inputs are relative to absWorkingDir, the repository root.
    const inputs = Object.keys(result.metafile?.inputs ?? {});
    reports.push({ name, outfile, bytes: statSync(outfile).size, inputs, forbidden: inputs.filter(isForbiddenInput) });
  }
  return reports;
}

/** bundleFunctions into a temporary directory, removed afterwards. */
export async function measureBundles(
  names: readonly BundledFunctionName[] = BUNDLED_FUNCTION_NAMES,
): Promise<BundleReport[]> {
  const outdir = mkdtempSync(join(tmpdir(), 'driftless-bundle-'));
  try {
    return await bundleFunctions(outdir, names);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export function formatReport(reports: readonly BundleReport[]): string {
  const rows = reports.map((report) => [
    report.name,
    (report.bytes / 1024).toFixed(1),
    String(report.inputs.length),
    report.forbidden.length === 0 ? 'ok' : `${report.forbidden.length} test file(s)`,
  ]);
  const header = ['function', 'size (KB)', 'inputs', 'test code'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0)));
  return [header, ...rows].map((cells) => line(cells).join('  ')).join('\n');
}

async function main(): Promise<void> {
  const reports = await measureBundles();
  process.stdout.write(`${formatReport(reports)}\n`);
  const offending = reports.filter((report) => report.forbidden.length > 0);
  if (offending.length > 0) {
    for (const report of offending) {
      process.stderr.write(
        `\n${report.name} bundles test code:\n${report.forbidden.map((f) => `  ${f}`).join('\n')}\n`,
      );
    }
    process.exitCode = 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main();
}
