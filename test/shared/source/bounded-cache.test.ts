import { describe, expect, it } from 'vitest';
import { BoundedCache } from '../../../shared/source/bounded-cache.ts';

describe('BoundedCache', () => {
  it('forgets the least recently used entry first when full', () => {
    // Arrange
    const cache = new BoundedCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);

    // Act
    cache.get('a');
    cache.set('c', 3);

    // Assess
    expect(cache.get('a')).toBe(1);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('c')).toBe(3);
  });

  it('bounds by weight, refuses a value heavier than the capacity, and frees the weight of what it deletes', () => {
    // Arrange
    const cache = new BoundedCache<string, string>(10, (value) => value.length);

    // Act
    cache.set('six', 'xxxxxx');
    cache.set('huge', 'x'.repeat(11));
    cache.set('four', 'xxxx');
    const bothFit = [cache.get('six'), cache.get('four')];
    cache.delete('six');
    cache.set('five', 'xxxxx');

    // Assess
    expect(bothFit).toEqual(['xxxxxx', 'xxxx']);
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.get('four')).toBe('xxxx');
    expect(cache.get('five')).toBe('xxxxx');
  });

  it('replaces a key without counting its old weight twice', () => {
    // Arrange
    const cache = new BoundedCache<string, string>(6, (value) => value.length);

    // Act
    cache.set('a', 'xxx');
    cache.set('a', 'yyy');
    cache.set('b', 'zzz');

    // Assess
    expect(cache.get('a')).toBe('yyy');
    expect(cache.get('b')).toBe('zzz');
  });
});
