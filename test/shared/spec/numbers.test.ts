/** Task cpu and memory read the way RegisterTaskDefinition reads them, and Fargate's table of cpu and memory pairs
 * (ECS developer guide, "Task CPU and memory"), value by value. */
import { describe, expect, it } from 'vitest';
import { cpuUnits, fargateAllows, memoryMiB } from '../../../shared/spec/numbers.ts';

describe('task cpu and memory', () => {
  it.each([
    [256, 256],
    ['1024', 1024],
    ['1 vCPU', 1024],
    ['0.25 vcpu', 256],
    ['2vCPU', 2048],
  ])('reads cpu %j as %i CPU units', (written, units) => {
    expect(cpuUnits(written)).toEqual({ value: units });
  });

  it.each([
    [2048, 2048],
    ['512', 512],
    ['2 GB', 2048],
    ['0.5GB', 512],
  ])('reads memory %j as %i MiB', (written, mib) => {
    expect(memoryMiB(written)).toEqual({ value: mib });
  });

  it.each([0, -256, 256.5, '2 cores', '0.0001 vCPU', ''])('refuses cpu %j', (written) => {
    expect(cpuUnits(written)).toHaveProperty('problem');
  });

  it('leaves an absent value absent', () => {
    expect(cpuUnits(undefined)).toBeUndefined();
    expect(memoryMiB(undefined)).toBeUndefined();
  });
});

describe("Fargate's cpu and memory pairs", () => {
  const table: [number, number[]][] = [
    [256, [512, 1024, 2048]],
    [512, [1024, 2048, 3072, 4096]],
    [1024, [2048, 3072, 4096, 5120, 6144, 7168, 8192]],
    [2048, Array.from({ length: 13 }, (_, i) => 4096 + i * 1024)],
    [4096, Array.from({ length: 23 }, (_, i) => 8192 + i * 1024)],
    [8192, Array.from({ length: 12 }, (_, i) => 16384 + i * 4096)],
    [16384, Array.from({ length: 12 }, (_, i) => 32768 + i * 8192)],
  ];

  it.each(table)('offers %i CPU units with exactly the memory the guide lists', (cpu, offered) => {
    // Prepare
    const candidates = Array.from({ length: 122880 / 512 + 1 }, (_, i) => i * 512);

    // Act
    const allowed = candidates.filter((memory) => fargateAllows(cpu, memory));

    // Assess
    expect(allowed).toEqual(offered);
    expect(offered.at(-1)).toBe(
      { 256: 2048, 512: 4096, 1024: 8192, 2048: 16384, 4096: 30720, 8192: 61440, 16384: 122880 }[cpu],
    );
  });

  it.each([128, 384, 3072, 32768])('offers no task with %i CPU units', (cpu) => {
    expect(fargateAllows(cpu, 2048)).toBe(false);
  });
});
