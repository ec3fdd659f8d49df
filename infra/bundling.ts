/** How every Lambda function is bundled: one set of esbuild options, used by the stack (NodejsFunction) and by
 * `npm run bundle-size`, so the size report and the import check measure exactly what is deployed. */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';
import type { SourceHost } from '../functions/environment.ts';
import { RESOURCE_SPEC_FILE_NAME } from '../shared/spec/resource-spec.ts';

export const REPOSITORY_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The reconciler functions, each `functions/<name>.ts` exporting `handler`. */
export const FUNCTION_NAMES = [
  'push',
  'sweep',
  'pull-request',
  'deployment-outcome',
  'sweep-shard',
  'manual-change',
  'webhook-worker',
] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** Every Lambda function bundled: the reconcilers, the ledger archive (deployed only with archiveLedger) and the
 * webhook receiver (deployed only with a GitHub or GitLab source). */
export const BUNDLED_FUNCTION_NAMES = [...FUNCTION_NAMES, 'ledger-archive', 'webhook'] as const;
export type BundledFunctionName = (typeof BUNDLED_FUNCTION_NAMES)[number];

/** The resource specification index (shared/spec/resource-spec.br): a data file the functions that validate templates
 * read beside their index.mjs (shared/spec/resource-spec.ts resolves it relative to the bundle). */
export const RESOURCE_SPEC_DATA_FILE = join(REPOSITORY_ROOT, 'shared', 'spec', RESOURCE_SPEC_FILE_NAME);

/** Whether a function's bundle reads the resource specification index: every reconciler (they build their
 * dependencies in functions/dependencies.ts); not the webhook receiver nor the ledger archive. */
export function readsResourceSpec(name: BundledFunctionName): boolean {
  return name !== 'webhook' && name !== 'ledger-archive';
}

/** `functions/<name>.ts` in a clone; in the installed package, where REPOSITORY_ROOT is dist/, its compiled `.js`. */
export function functionEntry(name: BundledFunctionName): string {
  const source = join(REPOSITORY_ROOT, 'functions', `${name}.ts`);
  return existsSync(source) ? source : join(REPOSITORY_ROOT, 'functions', `${name}.js`);
}

/**
 * The name esbuild replaces with the deployment's Git host. Code that chooses a host compares this expression itself
 * (`(process.env.DRIFTLESS_BUNDLED_HOST ?? host) === host`): esbuild folds a comparison of literals and then drops the
 * other hosts' adapters and clients, but it does not propagate a constant held in a variable. Run from source (tests,
 * CLI) it is undefined, so every host is there.
 */
export const BUNDLED_HOST_VARIABLE = 'process.env.DRIFTLESS_BUNDLED_HOST';

/** Bundled dependencies some CommonJS package `require`s at run time need a `require` in an ES module. */
const REQUIRE_SHIM = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/**
 * The esbuild settings shared by both consumers.
 *
 * The AWS SDK v3 is bundled (no external modules): the functions then run the SDK versions package-lock.json pins and
 * the tests exercised (including the @aws-sdk/nested-clients override), not whatever the Lambda runtime ships that
 * month; minification and tree shaking keep the cost to a few hundred kilobytes of cold start.
 */
export const LAMBDA_BUNDLE = {
  format: 'esm',
  target: 'node22',
  platform: 'node',
  minify: true,
  sourcemap: false,
  /** ESM builds first (the SDK's dist-es), so esbuild can drop what is never imported. */
  mainFields: ['module', 'main'],
  legalComments: 'none',
  banner: REQUIRE_SHIM,
  external: [] as string[],
  /** Lambda's credentials are environment variables: the default chain is swapped for the environment reader
   * (shared/aws/lambda-credentials.ts), which leaves the STS/SSO clients and the other providers out (~90 KB). */
  alias: {
    '@aws-sdk/credential-provider-node': './shared/aws/lambda-credentials.ts',
    /** yaml's Node entry is one CommonJS file (all of it bundled); its ES module build, the same code, tree-shakes. */
    yaml: join(dirname(createRequire(import.meta.url).resolve('yaml/package.json')), 'browser', 'dist', 'index.js'),
  },
} as const;

/** LAMBDA_BUNDLE's aliases for one function: the S3 client (the ledger archive) wires event streams in when it is
 * constructed, so only the other functions get the stub (shared/aws/no-event-streams.ts says why). */
export function bundleAlias(name: BundledFunctionName): Record<string, string> {
  return name === 'ledger-archive'
    ? { ...LAMBDA_BUNDLE.alias }
    : { ...LAMBDA_BUNDLE.alias, '@smithy/core/event-streams': './shared/aws/no-event-streams.ts' };
}

/** esbuild's `define` for a bundle built for one Git host. */
function hostDefine(host: SourceHost): Record<string, string> {
  return { [BUNDLED_HOST_VARIABLE]: JSON.stringify(host) };
}

/** NodejsFunction's `bundling` for LAMBDA_BUNDLE (always local esbuild: there is no Docker engine), with the
 * resource specification index copied into the asset beside index.mjs when the function reads it. */
export function nodejsBundling(name: BundledFunctionName, host: SourceHost): BundlingOptions {
  const data = readsResourceSpec(name);
  return {
    ...(data
      ? {
          commandHooks: {
            beforeBundling: () => [],
            beforeInstall: () => [],
            afterBundling: (_inputDir: string, outputDir: string) => [
              `cp "${RESOURCE_SPEC_DATA_FILE}" "${join(outputDir, RESOURCE_SPEC_FILE_NAME)}"`,
            ],
          },
        }
      : {}),
    format: OutputFormat.ESM,
    target: LAMBDA_BUNDLE.target,
    minify: LAMBDA_BUNDLE.minify,
    sourceMap: LAMBDA_BUNDLE.sourcemap,
    mainFields: [...LAMBDA_BUNDLE.mainFields],
    banner: LAMBDA_BUNDLE.banner,
    externalModules: [...LAMBDA_BUNDLE.external],
    define: hostDefine(host),
    esbuildArgs: {
      '--legal-comments': LAMBDA_BUNDLE.legalComments,
      ...Object.fromEntries(
        Object.entries(bundleAlias(name)).map(([from, to]) => [`--alias:${from}`, resolve(REPOSITORY_ROOT, to)]),
      ),
    },
    forceDockerBundling: false,
  };
}

/** esbuild's build options for one function built for one Git host, as NodejsFunction runs them (bundle, platform
 * node), with a metafile. */
export function esbuildOptions(name: BundledFunctionName, outfile: string, host: SourceHost): BuildOptions {
  return {
    entryPoints: [functionEntry(name)],
    absWorkingDir: REPOSITORY_ROOT,
    outfile,
    bundle: true,
    write: true,
    metafile: true,
    format: LAMBDA_BUNDLE.format,
    target: LAMBDA_BUNDLE.target,
    platform: LAMBDA_BUNDLE.platform,
    minify: LAMBDA_BUNDLE.minify,
    sourcemap: LAMBDA_BUNDLE.sourcemap,
    mainFields: [...LAMBDA_BUNDLE.mainFields],
    legalComments: LAMBDA_BUNDLE.legalComments,
    treeShaking: true,
    banner: { js: LAMBDA_BUNDLE.banner },
    external: [...LAMBDA_BUNDLE.external],
    alias: Object.fromEntries(
      Object.entries(bundleAlias(name)).map(([from, to]) => [from, resolve(REPOSITORY_ROOT, to)]),
    ),
    define: hostDefine(host),
    logLevel: 'warning',
  };
}
