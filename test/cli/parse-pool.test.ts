/** The parse pool: every file of the bad-input corpus, parsed and checked on a worker thread and on this one, gives
 * exactly what parsing here alone gives (documents, diagnostics with their messages and places, and locators that
 * still find their lines), in the order the files were given. */
import { describe, expect, it } from 'vitest';
import { type PoolRun, parsePool } from '../../cli/parse-pool.ts';
import { type CheckedFile, checkFilesHere, type FileText } from '../../shared/spec/declaration-files.ts';
import { INPUT_LIMITS } from '../../shared/spec/limits.ts';
import { corpusCases } from '../support/corpus.ts';

/** Every text file of every corpus case, under the case's folder so that paths stay unique; the few files built
 * megabytes large to meet a limit are left out, as they would take most of the test's time on one thread. */
function corpusTexts(): FileText[] {
  return corpusCases(() => true).flatMap(({ name, files }) =>
    Object.entries(files).flatMap(([path, content]) =>
      typeof content === 'string' && content.length < 20_000 && /\.(ya?ml|json)$/.test(path)
        ? [[`${name}/${path}`, content] as const]
        : [],
    ),
  );
}

/** What a checked file says, its locators asked where each document's name and spec are. */
function outcome(checked: CheckedFile) {
  return {
    diagnostics: checked.diagnostics,
    templates: checked.templates,
    documents: checked.documents.map(({ locate, plainSource: _plainSource, ...data }) => ({
      ...data,
      name: locate(['metadata', 'name']),
      nameKey: locate(['metadata', 'name'], { key: true }),
      spec: locate(['spec']),
    })),
  };
}

describe('parsePool', () => {
  it('answers as parsing here does, file for file, with part of the files parsed on a worker thread', async () => {
    // Prepare
    const files = corpusTexts();
    const expected = (await checkFilesHere(files, INPUT_LIMITS)).map(outcome);

    // Act
    const runs: PoolRun[] = [];
    const pooled = await parsePool({ minFiles: 1, workers: 1, onRun: (run) => runs.push(run) })(files, INPUT_LIMITS);

    // Assess
    expect(files.length).toBeGreaterThan(400);
    expect(expected.some((file) => file.diagnostics.length > 0)).toBe(true);
    expect(pooled.map(outcome)).toEqual(expected);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.workerFailures).toBe(0);
    expect(runs[0]!.filesOnWorkers).toBeGreaterThan(0);
    expect(runs[0]!.filesOnWorkers + runs[0]!.filesHere).toBe(files.length);
  });

  it('checks resource types on a worker thread as here: the worker reads the resource specification itself', async () => {
    // Prepare: settings naming resource types, enough copies that the worker takes most of them.
    const settings = `apiVersion: driftless/v1
kind: Settings
spec:
  targets: { clusters: [prod], stackNamePrefix: app-, resourceTypes: [AWS::SNS::Topic, AWS::SQS::Queue] }
`;
    const files: FileText[] = Array.from({ length: 600 }, (_, index) => [`settings-${index}/driftless.yaml`, settings]);
    const expected = (await checkFilesHere(files, INPUT_LIMITS)).map(outcome);

    // Act
    const runs: PoolRun[] = [];
    const pooled = await parsePool({ minFiles: 1, workers: 1, onRun: (run) => runs.push(run) })(files, INPUT_LIMITS);

    // Assess
    expect(expected.every((file) => file.diagnostics.length === 0)).toBe(true);
    expect(runs[0]!.filesOnWorkers).toBeGreaterThan(0);
    expect(pooled.map(outcome)).toEqual(expected);
  });
});
