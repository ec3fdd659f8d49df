/** The Lambda bundles, built with the stack's esbuild options: no test code in them, and each one loads in plain
 * Node as an ES module and exports its handler (a CommonJS dependency that cannot `require` would fail here, not at
 * the first invocation in Lambda). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BundleReport, bundleFunctions, formatReport, isForbiddenInput } from '../../infra/bundle-size.ts';
import { BUNDLED_FUNCTION_NAMES } from '../../infra/bundling.ts';

/** Far above today's ~1.2 MB: a bundle this large pulled in something it should not. */
const MAX_BUNDLE_BYTES = 3 * 1024 * 1024;

let outdir: string;
let reports: BundleReport[];

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'driftless-bundles-'));
  reports = await bundleFunctions(outdir);
}, 120_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('Lambda bundles', () => {
  it('are built for every function', () => {
    // Assess
    expect(reports.map((report) => report.name)).toEqual([...BUNDLED_FUNCTION_NAMES]);
    expect(formatReport(reports).split('\n')).toHaveLength(BUNDLED_FUNCTION_NAMES.length + 1);
  });

  it('contain nothing from test/ and never the simulator', () => {
    // Assess
    for (const report of reports) {
      expect(report.inputs, report.name).toContain(`functions/${report.name}.ts`);
      expect(report.forbidden, report.name).toEqual([]);
    }
  });

  it('stay well under the size that would mean an accidental dependency', () => {
    // Assess
    for (const report of reports) expect(report.bytes, report.name).toBeLessThan(MAX_BUNDLE_BYTES);
  });

  it('load as ES modules in plain Node and export handler', () => {
    // Assess
    for (const report of reports) {
      const script = `import(${JSON.stringify(pathToFileURL(report.outfile).href)}).then((m) => console.log(typeof m.handler))`;
      const printed = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '' },
      });
      expect(printed.trim(), report.name).toBe('function');
    }
  });
});

describe('isForbiddenInput', () => {
  it.each([
    ['test/support/simulator/ecs.ts', true],
    ['test/support/memory-ledger.ts', true],
    ['shared/sim/ecs.ts', true],
    ['shared/sim/memory-ledger.ts', true],
    ['shared/simulator.ts', true],
    ['node_modules/some-package/test/fixture.js', true],
    ['shared/plan/diff.ts', false],
    ['functions/push.ts', false],
    ['node_modules/@aws-sdk/client-ecs/dist-es/index.js', false],
  ])('%s → %s', (path, forbidden) => {
    // Assess
    expect(isForbiddenInput(path)).toBe(forbidden);
  });
});
