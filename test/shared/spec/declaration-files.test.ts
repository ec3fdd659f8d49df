/** The guard around each file's parse: the parser is built never to throw, so a bug is made to throw here (the checks
 * are replaced for two file names). The throw is that file's diagnostic; the other files load, pruning is blocked,
 * and nothing reads as "cannot read the repository". */
import { describe, expect, it, vi } from 'vitest';
import { LocalGitSource } from '../../../shared/source/local-git.ts';
import { loadRepository } from '../../../shared/spec/repository.ts';
import { corpusBaseFiles } from '../../support/corpus.ts';
import { makeRepo } from '../../support/git-repo.ts';

vi.mock(import('../../../shared/spec/checks.ts'), async (importOriginal) => {
  const original = await importOriginal();
  return {
    ...original,
    checkDocument: (parsed) => {
      if (parsed.location.file === 'services/bug.yaml')
        throw new TypeError("Cannot read properties of undefined (reading 'x')");
      if (parsed.location.file === 'services/overflow.yaml') throw new RangeError('Maximum call stack size exceeded');
      return original.checkDocument(parsed);
    },
  };
});

describe('a file whose parse throws', () => {
  it('is refused at line 1 of that file, and the rest of the repository loads', async () => {
    // Prepare
    const base = corpusBaseFiles();
    const web = base['services/web.yaml']!;
    const repo = await makeRepo({
      ...base,
      'services/bug.yaml': web.replace('name: web', 'name: bug'),
      'services/overflow.yaml': web.replace('name: web', 'name: overflow'),
    });

    try {
      // Act
      const snapshot = await loadRepository(new LocalGitSource({ repoDir: repo.dir }), { ref: 'main' });

      // Assess
      expect(snapshot.diagnostics.map((d) => [d.code, d.file, d.line])).toEqual([
        ['E_INTERNAL', 'services/bug.yaml', 1],
        ['E_LIMIT', 'services/overflow.yaml', 1],
      ]);
      expect(snapshot.diagnostics[0]?.message).toContain('TypeError');
      expect(snapshot.diagnostics[1]?.message).toContain('nested too deep to read');
      expect(snapshot.declarations.map((d) => d.id)).toEqual([
        'CloudFormationStack:platform-network',
        'EcsService:prod/web',
      ]);
      expect(snapshot.pruneBlocked).toBe(true);
    } finally {
      await repo.cleanup();
    }
  });
});
