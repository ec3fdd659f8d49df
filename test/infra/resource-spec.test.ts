/** The committed resource specification index (shared/spec/resource-spec.br, its source in resource-spec-data.ts) is what
 * `npm run generate:resource-spec` makes from the installed @aws-cdk/aws-service-spec: an upgrade of the package
 * without regenerating fails here, so validation never checks templates against an older specification than the
 * one installed. */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildResourceSpecIndex,
  installedSpecSource,
  packResourceSpec,
  RESOURCE_SPEC_DATA,
  RESOURCE_SPEC_MODULE,
  renderResourceSpecModule,
} from '../../infra/generate-resource-spec.ts';
import {
  propertiesOf,
  provideResourceSpec,
  ResourceSpecUnavailableError,
  resourceSpecFile,
  unpackResourceSpec,
} from '../../shared/spec/resource-spec.ts';
import { RESOURCE_SPEC_SOURCE } from '../../shared/spec/resource-spec-data.ts';

describe('the resource specification index', () => {
  const generated = buildResourceSpecIndex();
  // The tests below swap the reader; the others read the committed file, as the test setup provides it.
  const committed = () => readFileSync(resourceSpecFile());
  afterEach(() => provideResourceSpec(committed));

  it('records the installed package and version it was generated from', () => {
    // Assess
    expect(RESOURCE_SPEC_SOURCE).toMatch(/^@aws-cdk\/aws-service-spec@\d+\.\d+\.\d+$/);
    expect(RESOURCE_SPEC_SOURCE, 'run npm run generate:resource-spec').toBe(installedSpecSource());
  });

  it('holds exactly the types and property names of the installed database', () => {
    // Assess
    expect(unpackResourceSpec(readFileSync(RESOURCE_SPEC_DATA)), 'run npm run generate:resource-spec').toEqual(
      generated.services,
    );
    const types = Object.values(generated.services).flatMap((entries) => entries.split(';'));
    expect(types.length).toBeGreaterThan(1500);
  });

  it('is the file the generator writes, and the one the spec module reads from source', () => {
    // Assess
    expect(readFileSync(RESOURCE_SPEC_MODULE, 'utf8')).toBe(renderResourceSpecModule(generated.source));
    expect(resourceSpecFile().pathname).toBe(RESOURCE_SPEC_DATA);
  });

  it('packs so that unpacking gives the index back, a fraction of its size', () => {
    // Act
    const packed = packResourceSpec(generated.services);

    // Assess
    expect(unpackResourceSpec(packed)).toEqual(generated.services);
    expect(packed.length).toBeLessThan(JSON.stringify(generated.services).length / 3);
  });

  it('is read once, on the first lookup, through the reader the entry point provides', () => {
    // Arrange
    let reads = 0;
    const bytes = readFileSync(RESOURCE_SPEC_DATA);
    provideResourceSpec(() => {
      reads += 1;
      return bytes;
    });

    // Act
    const before = reads;
    const queue = propertiesOf('AWS::SQS::Queue');
    propertiesOf('AWS::SNS::Topic');

    // Assess
    expect(before).toBe(0);
    expect(reads).toBe(1);
    expect(queue?.has('FifoQueue')).toBe(true);
  });

  it('says which file it could not read, as an error no retry helps', () => {
    // Arrange
    provideResourceSpec(() => {
      throw new Error('ENOENT');
    });

    // Act
    let thrown: unknown;
    try {
      propertiesOf('AWS::SQS::Queue');
    } catch (error) {
      thrown = error;
    }

    // Assess
    expect(thrown).toBeInstanceOf(ResourceSpecUnavailableError);
    expect(thrown).toMatchObject({ retryable: false, message: expect.stringContaining('resource-spec.br') });
    expect((thrown as Error).cause).toEqual(new Error('ENOENT'));
  });
});
