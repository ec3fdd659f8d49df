/** The parser benchmark: how long loading a repository takes as one file grows from 1,000 to 300,000 keys, for one
 * large mapping (a declaration's metadata.labels) and for a template (keys spread over resources). Each row is read
 * through loadRepository, as a push or a sweep reads it; a flat time per key is linear growth. Under --quick the
 * 300,000-key rows are left out. */
import { hasErrors } from '../shared/spec/diagnostics.ts';
import { loadRepository } from '../shared/spec/repository.ts';
import { MemoryGitSource, SETTINGS, serviceYaml } from './support.ts';

export interface ParseMeasurement {
  readonly shape: 'mapping' | 'template';
  readonly keys: number;
  readonly bytes: number;
  /** The fastest of the runs: the machine's other work only ever adds time. */
  readonly seconds: number;
  /** What each key adds: the time over that of the same repository without the keys, per key. */
  readonly microsecondsPerKey: number;
  /** Microseconds per key against the smallest size of the same shape: 1 is linear, 10 at 10× the keys is quadratic. */
  readonly perKeyRatio: number;
  /** "accepted", or the first error code (E_LIMIT past keysPerMapping: refused, but only after reading it all). */
  readonly outcome: string;
}

/** A service whose metadata carries `keys` labels: every key in one mapping, written as tightly as YAML allows, so
 * 300,000 of them fit in a file under the 6 MB limit. */
function mappingFiles(keys: number): Map<string, string> {
  const labels = Array.from({ length: keys }, (_, i) => `    k${i}: v\n`).join('');
  const service = serviceYaml(0, 'bench').replace(
    'metadata: { name: svc-0, cluster: prod }',
    `metadata:\n  name: svc-0\n  cluster: prod\n  labels:\n${labels}`,
  );
  return new Map([
    ['driftless.yaml', SETTINGS],
    ['services/labels.yaml', service],
  ]);
}

/** A stack whose template has `keys` keys: resources of ten keys each, as templates are written. */
function templateFiles(keys: number): Map<string, string> {
  const resource = (i: number) =>
    `  T${i}:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: t${i}\n      DisplayName: d\n      Tags:\n        - Key: a\n          Value: b\n        - Key: c\n          Value: d\n`;
  const template = `Resources:\n${Array.from({ length: keys / 10 }, (_, i) => resource(i)).join('')}`;
  const stack =
    'apiVersion: driftless/v1\nkind: CloudFormationStack\nmetadata: { name: bench-topics }\nspec:\n  template: topics.template.yaml\n';
  return new Map([
    ['driftless.yaml', SETTINGS],
    ['stacks/topics.yaml', stack],
    ['stacks/topics.template.yaml', template],
  ]);
}

async function measure(shape: ParseMeasurement['shape'], keys: number, runs: number, baseSeconds = 0) {
  const files = shape === 'mapping' ? mappingFiles(keys) : templateFiles(keys);
  const source = new MemoryGitSource(files, 0);
  let seconds = Number.POSITIVE_INFINITY;
  let outcome = 'accepted';
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    const snapshot = await loadRepository(source, { ref: 'main' });
    seconds = Math.min(seconds, (performance.now() - start) / 1000);
    outcome = hasErrors(snapshot.diagnostics)
      ? (snapshot.diagnostics.find((d) => d.severity === 'error')?.code ?? 'error')
      : 'accepted';
  }
  const bytes = [...files.values()].reduce((sum, text) => sum + Buffer.byteLength(text), 0);
  return { shape, keys, bytes, seconds, microsecondsPerKey: ((seconds - baseSeconds) * 1e6) / keys, outcome };
}

/** Measures, and answers the rows for the bench's figures and bench/results/latest.json. */
export async function parserBench(quick: boolean): Promise<ParseMeasurement[]> {
  const sizes = quick ? [1_000, 10_000, 40_000] : [1_000, 10_000, 40_000, 300_000];
  const rows: ParseMeasurement[] = [];
  for (const shape of ['mapping', 'template'] as const) {
    // The first load warms the code paths up, so the smallest size is not charged for compiling them; the fixed cost
    // of a load (Settings, the service or the stack around the keys) is measured apart and taken out of each row.
    await measure(shape, 10_000, 2);
    const base = await measure(shape, shape === 'template' ? 10 : 0, 5);
    const measured = [];
    for (const keys of sizes)
      measured.push(await measure(shape, keys, keys >= 300_000 ? 1 : keys >= 40_000 ? 3 : 7, base.seconds));
    const smallest = measured[0]!.microsecondsPerKey;
    for (const row of measured) rows.push({ ...row, perKeyRatio: row.microsecondsPerKey / smallest });
  }
  return rows;
}
