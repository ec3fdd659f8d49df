/** Verifying one partition's chain from its items: an honest chain holds, and each kind of tampering an attacker with
 * write access to the table can do is named at the first sequence it breaks; what the chain cannot show is shown too. */
import { describe, expect, it } from 'vitest';
import { CHAIN, type ChainHead, chainAfter, EMPTY_CHAIN, type Item, itemHash } from '../../../shared/audit/chain.ts';
import { resourcePk, toItem } from '../../../shared/audit/dynamodb-items.ts';
import { newEntryId } from '../../../shared/audit/ids.ts';
import type { LedgerEntry } from '../../../shared/audit/ledger.ts';
import { verifyPartition } from '../../../shared/audit/verify.ts';

const RESOURCE = 'EcsService:prod/web';
const PK = resourcePk(RESOURCE);
const START = Date.parse('2026-05-01T09:00:00.000Z');
const MINUTE = 60_000;

function entryAt(offsetMs: number, fields: Partial<LedgerEntry> = {}): LedgerEntry {
  const time = new Date(START + offsetMs).toISOString();
  return {
    entryId: newEntryId(time),
    kind: 'outcome',
    time,
    runId: 'run-1',
    trigger: 'push',
    repository: 'platform-config',
    branch: 'main',
    commitId: 'c1',
    dryRun: false,
    resourceId: RESOURCE,
    result: 'succeeded',
    ...fields,
  };
}

/** The items an honest ledger stores for entries made at these offsets, appended in this order. */
function chainOf(offsets: readonly number[], head: ChainHead = EMPTY_CHAIN): { entries: Item[]; links: Item[] } {
  const entries: Item[] = [];
  const links: Item[] = [];
  let current = head;
  for (const offset of offsets) {
    const made = entryAt(offset);
    const chained = chainAfter(toItem(made, made.time), current);
    entries.push(chained.entry);
    links.push(chained.link);
    current = chained.head;
  }
  return { entries, links };
}

const at = (items: Item[], index: number): Item => items[index] as Item;
/** An entry with one attribute changed, as UpdateItem or an overwriting PutItem leaves it. */
const edited = (item: Item, changes: Item): Item => ({ ...item, ...changes });
const rehashed = (item: Item): Item => ({ ...item, [CHAIN.hash]: { S: itemHash(item) } });

describe('verifyPartition', () => {
  it('holds for an honest chain and reports its head', () => {
    // Prepare
    const { entries, links } = chainOf([0, 1_000, 2_000, 3_000]);

    // Act
    const verdict = verifyPartition(PK, [...links, ...entries.reverse()]);

    // Assess
    expect(verdict).toEqual({
      partition: PK,
      entries: 4,
      chained: 4,
      beforeChain: 0,
      head: { sequence: 4, hash: at(entries, 0)[CHAIN.hash]?.S },
    });
  });

  it('names an edited entry at its sequence: its fields no longer hash to its hash', () => {
    // Prepare
    const { entries, links } = chainOf([0, 1_000, 2_000]);
    entries[1] = edited(at(entries, 1), { result: { S: 'failed' } });

    // Act
    const verdict = verifyPartition(PK, [...entries, ...links]);

    // Assess
    expect(verdict.break).toMatchObject({ kind: 'edited', sequence: 2, sk: at(entries, 1).sk?.S });
    expect(verdict.break?.detail).toMatch(/no longer hash to its chain hash/);
    expect(verdict.head).toBeUndefined();
  });

  it('names an edited entry whose hash was recomputed: its link remembers the hash it was appended with', () => {
    // Prepare
    const { entries, links } = chainOf([0, 1_000, 2_000]);
    entries[1] = rehashed(edited(at(entries, 1), { reason: { S: 'nothing to see' } }));

    // Act
    const verdict = verifyPartition(PK, [...entries, ...links]);

    // Assess
    expect(verdict.break).toMatchObject({ kind: 'edited', sequence: 2 });
    expect(verdict.break?.detail).toMatch(/chain hash was rewritten: its link recorded/);
  });

  it('names the edit at the next entry when the entry and its link were both re-hashed', () => {
    // Prepare
    const { entries, links } = chainOf([0, 1_000, 2_000]);
    entries[1] = rehashed(edited(at(entries, 1), { reason: { S: 'nothing to see' } }));
    links[1] = { ...at(links, 1), [CHAIN.hash]: at(entries, 1)[CHAIN.hash] as Item[string] };

    // Act
    const verdict = verifyPartition(PK, [...entries, ...links]);

    // Assess
    expect(verdict.break).toMatchObject({ kind: 'edited', sequence: 3 });
    expect(verdict.break?.detail).toMatch(/an earlier entry was edited and re-hashed, or replaced/);
  });

  it('names a deleted entry, with or without its link', () => {
    // Prepare
    const { entries, links } = chainOf([0, 1_000, 2_000, 3_000]);
    const withoutEntry = [...entries.filter((_, index) => index !== 1), ...links];
    const withoutBoth = [...entries.filter((_, index) => index !== 2), ...links.filter((_, index) => index !== 2)];

    // Act
    const entryGone = verifyPartition(PK, withoutEntry);
    const bothGone = verifyPartition(PK, withoutBoth);

    // Assess
    expect(entryGone.break).toMatchObject({ kind: 'deleted', sequence: 2, sk: at(entries, 1).sk?.S });
    expect(entryGone.break?.detail).toMatch(/its link names .*, which is gone/);
    expect(bothGone.break).toMatchObject({ kind: 'deleted', sequence: 3 });
    expect(bothGone.break?.detail).toMatch(/its entry and its link are gone/);
  });

  it('names entries whose sequence numbers were swapped as reordered', () => {
    // Prepare
    const { entries, links } = chainOf([0, 1_000, 2_000, 3_000]);
    const second = at(entries, 1);
    const third = at(entries, 2);
    entries[1] = rehashed({
      ...second,
      [CHAIN.sequence]: { N: '3' },
      [CHAIN.previous]: third[CHAIN.previous] as Item[string],
    });
    entries[2] = rehashed({
      ...third,
      [CHAIN.sequence]: { N: '2' },
      [CHAIN.previous]: second[CHAIN.previous] as Item[string],
    });

    // Act
    const verdict = verifyPartition(PK, [...entries, ...links]);

    // Assess
    expect(verdict.break).toMatchObject({ kind: 'reordered', sequence: 2, sk: third.sk?.S });
    expect(verdict.break?.detail).toMatch(/was appended as .*, which now claims sequence 3/);
  });

  it('names an entry moved to another time as reordered', () => {
    // Prepare: the second entry now sorts before the first (its key and time changed, its id kept).
    const { entries, links } = chainOf([MINUTE, 2 * MINUTE, 3 * MINUTE]);
    const moved = at(entries, 1);
    const newSk = `${new Date(START).toISOString()}${moved.sk?.S?.slice(24)}`;
    entries[1] = { ...moved, sk: { S: newSk }, time: { S: new Date(START).toISOString() } };

    // Act
    const verdict = verifyPartition(PK, [...entries, ...links]);

    // Assess
    expect(verdict.break).toMatchObject({ kind: 'reordered', sequence: 2, sk: newSk });
    expect(verdict.break?.detail).toBe(
      `moved in time: this entry was appended at ${moved.sk?.S?.slice(0, 24)} and now says ${new Date(START).toISOString()}`,
    );
  });

  it('names an entry chained far out of time order as reordered, and allows the clock skew of honest writers', () => {
    // Prepare: appended second, but made an hour before the first (a consistent chain, hashes and links rewritten).
    const outOfOrder = chainOf([0, -60 * MINUTE]);
    const skewed = chainOf([0, -MINUTE]);

    // Act
    const verdict = verifyPartition(PK, [...outOfOrder.entries, ...outOfOrder.links]);
    const tolerated = verifyPartition(PK, [...skewed.entries, ...skewed.links]);
    const strict = verifyPartition(PK, [...skewed.entries, ...skewed.links], { maxSkewMs: 1_000 });

    // Assess
    expect(verdict.break).toMatchObject({ kind: 'reordered', sequence: 2 });
    expect(verdict.break?.detail).toMatch(/3600 s before sequence 1's/);
    expect(tolerated.break).toBeUndefined();
    expect(strict.break).toMatchObject({ kind: 'reordered', sequence: 2 });
  });

  it('names forged entries as inserted: a second claim on a sequence, one without a link, one without chain fields', () => {
    // Prepare
    const { entries, links } = chainOf([0, 1_000, 2_000]);
    const copy = at(chainOf([1_500]).entries, 0);
    const secondClaim = rehashed({
      ...copy,
      [CHAIN.sequence]: { N: '2' },
      [CHAIN.previous]: at(entries, 0)[CHAIN.hash] as Item[string],
    });
    const unlinked = at(chainOf([3_000], { sequence: 3, hash: at(entries, 2)[CHAIN.hash]?.S ?? '' }).entries, 0);
    const late = entryAt(20 * MINUTE);
    const unchained = toItem(late, late.time);

    // Act
    const claimed = verifyPartition(PK, [...entries, ...links, secondClaim]);
    const withoutLink = verifyPartition(PK, [...entries, ...links, unlinked]);
    const outsideChain = verifyPartition(PK, [...entries, ...links, unchained]);

    // Assess
    expect(claimed.break).toMatchObject({ kind: 'inserted', sequence: 2, sk: secondClaim.sk?.S });
    expect(withoutLink.break).toMatchObject({ kind: 'inserted', sequence: 4, sk: unlinked.sk?.S });
    expect(outsideChain.break).toMatchObject({ kind: 'inserted', sk: unchained.sk?.S });
    expect(outsideChain.break?.detail).toMatch(/without chain fields, made after the chain began/);
  });

  it('counts entries written before the chain existed as its genesis boundary, not as breaks', () => {
    // Prepare
    const legacy = [entryAt(-2 * MINUTE), entryAt(-MINUTE)].map((made) => toItem(made, made.time));
    const { entries, links } = chainOf([0, 1_000]);

    // Act
    const verdict = verifyPartition(PK, [...legacy, ...entries, ...links]);
    const onlyLegacy = verifyPartition(PK, legacy);

    // Assess
    expect(verdict).toMatchObject({ entries: 4, chained: 2, beforeChain: 2, head: { sequence: 2 } });
    expect(verdict.break).toBeUndefined();
    expect(onlyLegacy).toEqual({ partition: PK, entries: 2, chained: 0, beforeChain: 2 });
  });

  it('names a link item without a sequence as inserted rather than let it hide the chain', () => {
    // Prepare
    const { entries, links } = chainOf([0, 1_000]);
    const bogus = { ...at(links, 0), sk: { S: '#LINK#not-a-number' } };

    // Act
    const verdict = verifyPartition(PK, [...entries, ...links, bogus]);

    // Assess
    expect(verdict.break).toEqual({
      kind: 'inserted',
      sk: '#LINK#not-a-number',
      detail: 'a link item that names no sequence',
    });
  });

  it('names incomplete chain fields as an edit', () => {
    // Prepare
    const { entries, links } = chainOf([0]);
    const { [CHAIN.previous]: _dropped, ...withoutPrevious } = at(entries, 0);

    // Act
    const verdict = verifyPartition(PK, [withoutPrevious, ...links]);

    // Assess
    expect(verdict.break).toMatchObject({ kind: 'edited', detail: 'its chain fields are incomplete' });
  });

  it('cannot see the newest entries removed together with their links: that is what kept heads are for', () => {
    // Prepare
    const { entries, links } = chainOf([0, 1_000, 2_000]);
    const honest = verifyPartition(PK, [...entries, ...links]);

    // Act
    const truncated = verifyPartition(PK, [...entries.slice(0, 2), ...links.slice(0, 2)]);

    // Assess
    expect(truncated.break).toBeUndefined();
    expect(truncated.head?.sequence).toBe(2);
    expect(truncated.head).not.toEqual(honest.head);
  });
});
