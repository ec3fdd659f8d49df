/** The committed resource specification index (shared/spec/resource-spec-data.ts) is what
 * `npm run generate:resource-spec` makes from the installed @aws-cdk/aws-service-spec: an upgrade of the package
 * without regenerating fails here, so validation never checks templates against an older specification than the
 * one installed. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  buildResourceSpecIndex,
  installedSpecSource,
  packResourceSpec,
  RESOURCE_SPEC_MODULE,
  renderResourceSpecModule,
} from '../../infra/generate-resource-spec.ts';
import { unpackResourceSpec } from '../../shared/spec/resource-spec.ts';
import { RESOURCE_SPEC_PACKED, RESOURCE_SPEC_SOURCE } from '../../shared/spec/resource-spec-data.ts';

describe('the resource specification index', () => {
  const generated = buildResourceSpecIndex();

  it('records the installed package and version it was generated from', () => {
    // Assess
    expect(RESOURCE_SPEC_SOURCE).toMatch(/^@aws-cdk\/aws-service-spec@\d+\.\d+\.\d+$/);
    expect(RESOURCE_SPEC_SOURCE, 'run npm run generate:resource-spec').toBe(installedSpecSource());
  });

  it('holds exactly the types and property names of the installed database', () => {
    // Assess
    expect(unpackResourceSpec(RESOURCE_SPEC_PACKED), 'run npm run generate:resource-spec').toEqual(generated.services);
    const types = Object.values(generated.services).flatMap((entries) => entries.split(';'));
    expect(types.length).toBeGreaterThan(1500);
  });

  it('is the file the generator writes, byte for byte around the packed index', () => {
    // Assess
    expect(readFileSync(RESOURCE_SPEC_MODULE, 'utf8')).toBe(
      renderResourceSpecModule(generated.source, RESOURCE_SPEC_PACKED),
    );
  });

  it('packs so that unpacking gives the index back, a fraction of its size', () => {
    // Act
    const packed = packResourceSpec(generated.services);

    // Assess
    expect(unpackResourceSpec(packed)).toEqual(generated.services);
    expect(packed.length).toBeLessThan(JSON.stringify(generated.services).length / 3);
  });
});
