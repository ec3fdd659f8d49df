/** Builds the installable package's JavaScript (`npm run build`): every shipped TypeScript module of cli/, shared/,
 * functions/ and infra/ transpiled file by file into dist/ with the same layout, so paths that modules find
 * relative to themselves (the example repository, the Lambda entries) resolve the same way from dist/. */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { RESOURCE_SPEC_FILE_NAME } from '../shared/spec/resource-spec.ts';
import { bundleAlias, REPOSITORY_ROOT } from './bundling.ts';

export const SHIPPED_FOLDERS = ['cli', 'shared', 'functions', 'infra'] as const;
export const DIST = join(REPOSITORY_ROOT, 'dist');

/** Relative specifiers written with `.ts` (what tsx and vitest run) point at the emitted `.js` siblings. Other
 * specifiers, and strings that merely look like paths, are left as they are. */
const RELATIVE_TS_IMPORT = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s*)(["'])(\.{1,2}\/[^"'\n]*?)\.ts\2/g;

export function rewriteImports(code: string): string {
  return code.replace(RELATIVE_TS_IMPORT, (_match, keyword: string, quote: string, path: string) => {
    return `${keyword}${quote}${path}.js${quote}`;
  });
}

async function sourceFiles(folder: string): Promise<string[]> {
  const entries = await readdir(join(REPOSITORY_ROOT, folder), { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

export async function buildPackage(): Promise<{ files: number }> {
  const entryPoints = (await Promise.all(SHIPPED_FOLDERS.map(sourceFiles))).flat();
  // `npm pack` runs prepack (JavaScript and types) and then prepare (JavaScript): the types stay.
  await removeBuilt((name) => !name.endsWith('.d.ts'));
  const result = await build({
    entryPoints,
    absWorkingDir: REPOSITORY_ROOT,
    outbase: REPOSITORY_ROOT,
    outdir: DIST,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: false,
    write: false,
    logLevel: 'warning',
  });
  await Promise.all(
    result.outputFiles.map(async (file) => {
      await mkdir(dirname(file.path), { recursive: true });
      await writeFile(file.path, rewriteImports(file.text), { mode: file.path.endsWith('start.js') ? 0o755 : 0o644 });
    }),
  );
  // The Lambda bundles alias SDK modules to ours by their source path (infra/bundling.ts); from dist/ that path names
  // a file the build must provide, so the compiled module is written under it too (plain JavaScript is valid there).
  for (const target of Object.values(bundleAlias('sweep')).filter((path) => path.startsWith('./'))) {
    const compiled = result.outputFiles.find((file) => file.path === join(DIST, target.replace(/\.ts$/, '.js')));
    if (compiled) await writeFile(join(DIST, target), rewriteImports(compiled.text));
  }
  // NodejsFunction reads the project root from its lock file (infra/constructs/reconciler-function.ts names the one
  // beside the root that infra/bundling.ts computes, which is dist/ here); only its presence and name matter.
  await copyFile(join(REPOSITORY_ROOT, 'package-lock.json'), join(DIST, 'package-lock.json'));
  // The resource specification index is data the compiled modules read beside themselves (shared/spec/resource-spec.ts).
  await copyFile(
    join(REPOSITORY_ROOT, 'shared', 'spec', RESOURCE_SPEC_FILE_NAME),
    join(DIST, 'shared', 'spec', RESOURCE_SPEC_FILE_NAME),
  );
  return { files: result.outputFiles.length };
}

/** Removes what an earlier build left in dist/ (a module since deleted must not ship) among the files chosen. */
async function removeBuilt(chosen: (name: string) => boolean): Promise<void> {
  const entries = await readdir(DIST, { recursive: true, withFileTypes: true }).catch(() => []);
  await Promise.all(
    entries
      .filter((entry) => entry.isFile() && chosen(entry.name))
      .map((entry) => rm(join(entry.parentPath, entry.name))),
  );
}

/** The `.d.ts` types (tsconfig.build.json), with the same import rewrite: tsc leaves `.ts` specifiers as written. */
export async function buildTypes(): Promise<{ files: number }> {
  await removeBuilt((name) => name.endsWith('.d.ts'));
  execFileSync(
    process.execPath,
    [join(REPOSITORY_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: REPOSITORY_ROOT,
      stdio: 'inherit',
    },
  );
  const entries = await readdir(DIST, { recursive: true, withFileTypes: true });
  const declarations = entries.filter((entry) => entry.isFile() && entry.name.endsWith('.d.ts'));
  await Promise.all(
    declarations.map(async (entry) => {
      const path = join(entry.parentPath, entry.name);
      await writeFile(path, rewriteImports(await readFile(path, 'utf8')));
    }),
  );
  return { files: declarations.length };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = performance.now();
  const { files } = await buildPackage();
  const types = process.argv.includes('--types') ? (await buildTypes()).files : 0;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const declarations = types > 0 ? ` and ${types} declaration files` : '';
  process.stdout.write(
    `built ${files} modules${declarations} into ${relative(process.cwd(), DIST)}/ in ${seconds} s\n`,
  );
}
