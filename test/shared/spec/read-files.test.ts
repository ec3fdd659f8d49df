import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../../shared/spec/diagnostics.ts';
import type { FileEntry, RepositoryReader } from '../../../shared/spec/files.ts';
import { readTexts } from '../../../shared/spec/read-files.ts';

/** A reader whose reads finish on later ticks, recording the most that were in flight at once. */
function slowReader(readConcurrency?: number): RepositoryReader & { peak: number } {
  let inFlight = 0;
  const reader = {
    peak: 0,
    ...(readConcurrency === undefined ? {} : { readConcurrency }),
    resolveRef: async () => 'c',
    listFiles: async () => [],
    readFile: async (_commitId: string, path: string) => {
      inFlight++;
      reader.peak = Math.max(reader.peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight--;
      return new TextEncoder().encode(path);
    },
  };
  return reader;
}

const entries: FileEntry[] = Array.from({ length: 40 }, (_, index) => ({
  path: `f${String(index).padStart(2, '0')}.yaml`,
  blobId: String(index),
  type: 'file',
}));

describe('readTexts', () => {
  it('keeps 8 reads in flight by default and as many as the source allows when it says', async () => {
    // Prepare
    const throttled = slowReader();
    const pipelined = slowReader(32);
    const diagnostics: Diagnostic[] = [];

    // Act
    const first = await readTexts(throttled, 'c', entries, diagnostics, undefined);
    const second = await readTexts(pipelined, 'c', entries, diagnostics, undefined);

    // Assess
    expect(throttled.peak).toBe(8);
    expect(pipelined.peak).toBe(32);
    expect([...second]).toEqual([...first]);
    expect([...first.values()]).toEqual(entries.map((entry) => entry.path));
    expect(diagnostics).toEqual([]);
  });
});
