/** The shape of the code, checked on every run: the pure core stays pure, every import arrow points down the data
 * flow, no import cycle in shipped code, nothing shipped imports tests, and no file or class outgrows its room. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(new URL(import.meta.url).pathname), '..');
const SHIPPED = ['shared/', 'functions/', 'cli/', 'infra/', 'bench/'];

/** Lower layers never import higher ones. A room not listed here fails the test, so a new room must choose. */
const LAYERS: readonly (readonly [prefix: string, layer: number])[] = [
  ['shared/errors.ts', 0],
  ['shared/util.ts', 0],
  ['shared/aws/', 0],
  ['shared/spec/', 1],
  ['shared/plan/', 2],
  ['shared/source/', 3],
  ['shared/live/', 3],
  ['shared/audit/', 3],
  ['shared/lock/', 3],
  ['shared/sim/', 3],
  ['shared/apply/', 4],
  ['shared/writeback/', 4],
  ['shared/reconcile/', 5],
  ['shared/triggers/', 5],
  ['shared/notify/', 6],
  ['functions/', 7],
  ['cli/', 7],
  ['infra/', 7],
  ['bench/', 7],
];

/** Node modules that reach outside the process: the pure core (spec/, plan/) must not load them. */
const NODE_IO =
  /^(node:)?(fs|fs\/promises|child_process|net|http|https|http2|os|dgram|dns|tls|worker_threads|cluster|readline|process)$/;

interface Module {
  readonly path: string;
  /** Repository-relative paths of the files it imports. */
  readonly local: readonly string[];
  /** Package and node: specifiers it imports. */
  readonly external: readonly string[];
}

function trackedSources(): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return listed
    .split('\n')
    .filter((path) => /\.(ts|mts|mjs)$/.test(path) && !path.endsWith('.d.ts'))
    .filter((path) => SHIPPED.some((prefix) => path.startsWith(prefix)) || path.startsWith('test/'));
}

function readModule(path: string): Module {
  const info = ts.preProcessFile(readFileSync(join(ROOT, path), 'utf8'), true, true);
  const local: string[] = [];
  const external: string[] = [];
  for (const { fileName } of info.importedFiles) {
    if (fileName.startsWith('.')) local.push(normalize(join(dirname(path), fileName)));
    else external.push(fileName);
  }
  return { path, local, external };
}

const modules = new Map(trackedSources().map((path) => [path, readModule(path)]));
const shipped = [...modules.values()].filter((module) => SHIPPED.some((prefix) => module.path.startsWith(prefix)));

function layerOf(path: string): number | undefined {
  return LAYERS.find(([prefix]) => path === prefix || path.startsWith(prefix))?.[1];
}

/** Every module `start` reaches through local imports, itself included. */
function closure(start: string): Set<string> {
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length > 0) {
    const path = stack.pop()!;
    if (seen.has(path)) continue;
    seen.add(path);
    stack.push(...(modules.get(path)?.local ?? []));
  }
  return seen;
}

/** Strongly connected components with more than one module, or a module importing itself (Tarjan). */
function importCycles(paths: readonly string[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let counter = 0;
  const visit = (path: string): void => {
    index.set(path, counter);
    low.set(path, counter);
    counter += 1;
    stack.push(path);
    onStack.add(path);
    for (const next of modules.get(path)?.local ?? []) {
      if (!paths.includes(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(path, Math.min(low.get(path)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(path, Math.min(low.get(path)!, index.get(next)!));
      }
    }
    if (low.get(path) === index.get(path)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== path);
      const selfImport = modules.get(path)?.local.includes(path) ?? false;
      if (component.length > 1 || selfImport) cycles.push(component.sort());
    }
  };
  for (const path of paths) if (!index.has(path)) visit(path);
  return cycles;
}

describe('architecture', () => {
  it('finds the shipped modules it checks (a wrong root would check nothing)', () => {
    expect(shipped.length).toBeGreaterThan(100);
    expect(modules.has('shared/reconcile/run.ts')).toBe(true);
  });

  it('keeps shared/spec and shared/plan free of the AWS SDK and of Node I/O, directly and through their imports', () => {
    const impure: string[] = [];
    for (const module of shipped.filter((m) => /^shared\/(spec|plan)\//.test(m.path))) {
      for (const reached of closure(module.path)) {
        for (const specifier of modules.get(reached)?.external ?? []) {
          if (specifier.startsWith('@aws-sdk/') || NODE_IO.test(specifier)) {
            impure.push(`${module.path} reaches ${specifier} (through ${reached})`);
          }
        }
      }
    }
    expect(impure).toEqual([]);
  });

  it('detects impurity: the check flags an SDK import and a Node I/O import', () => {
    expect('@aws-sdk/client-ecs'.startsWith('@aws-sdk/')).toBe(true);
    for (const specifier of ['node:fs', 'fs/promises', 'node:child_process', 'node:os']) {
      expect(NODE_IO.test(specifier), specifier).toBe(true);
    }
    for (const specifier of ['node:path', 'node:crypto', 'yaml', 'zod']) {
      expect(NODE_IO.test(specifier), specifier).toBe(false);
    }
  });

  it('places every shipped module in a layer', () => {
    expect(shipped.filter((module) => layerOf(module.path) === undefined).map((module) => module.path)).toEqual([]);
  });

  it('points every import arrow down the data flow (or within its own layer)', () => {
    const upward: string[] = [];
    for (const module of shipped) {
      const from = layerOf(module.path);
      for (const target of module.local) {
        const to = layerOf(target);
        if (from !== undefined && to !== undefined && to > from) upward.push(`${module.path} → ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('has no import cycle in shipped code', () => {
    expect(importCycles(shipped.map((module) => module.path))).toEqual([]);
  });

  it('detects a cycle when there is one', () => {
    modules.set('test/__a.ts', { path: 'test/__a.ts', local: ['test/__b.ts'], external: [] });
    modules.set('test/__b.ts', { path: 'test/__b.ts', local: ['test/__a.ts'], external: [] });
    try {
      expect(importCycles(['test/__a.ts', 'test/__b.ts'])).toEqual([['test/__a.ts', 'test/__b.ts']]);
    } finally {
      modules.delete('test/__a.ts');
      modules.delete('test/__b.ts');
    }
  });

  it('never imports test code from shipped code', () => {
    const fromTests = shipped.flatMap((module) =>
      module.local.filter((target) => target.startsWith('test/')).map((target) => `${module.path} → ${target}`),
    );
    expect(fromTests).toEqual([]);
  });

  it('keeps the simulator out of the Lambda functions and the rest of the core', () => {
    const reachSim = shipped
      .filter((module) => module.path.startsWith('functions/') || /^shared\/(?!sim\/)/.test(module.path))
      .filter((module) => [...closure(module.path)].some((path) => path.startsWith('shared/sim/')))
      .map((module) => module.path);
    expect(reachSim).toEqual([]);
  });

  it('keeps each shipped source file under 450 lines, and shared/reconcile/run.ts under 80', () => {
    const lines = (path: string) => readFileSync(join(ROOT, path), 'utf8').split('\n').length;
    const long = shipped
      .filter((module) => /\.(ts|mts)$/.test(module.path))
      .map((module) => [module.path, lines(module.path)] as const)
      .filter(([, count]) => count > 450);
    expect(long).toEqual([]);
    expect(lines('shared/reconcile/run.ts')).toBeLessThan(80);
  });

  it('keeps every class in shipped code under 300 lines', () => {
    const large: string[] = [];
    for (const module of shipped) {
      const text = readFileSync(join(ROOT, module.path), 'utf8');
      const source = ts.createSourceFile(module.path, text, ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node): void => {
        if (ts.isClassDeclaration(node) || ts.isClassExpression(node)) {
          const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
          const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
          if (end - start + 1 > 300)
            large.push(`${module.path}: ${node.name?.text ?? '(anonymous)'} ${end - start + 1}`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    expect(large).toEqual([]);
  });

  it('resolves every local import to a file that exists', () => {
    const missing = shipped.flatMap((module) =>
      module.local
        .filter((target) => !modules.has(target))
        .map((target) => `${module.path} → ${relative('.', target)}`),
    );
    expect(missing).toEqual([]);
  });
});
