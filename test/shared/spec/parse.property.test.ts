/** Properties of the declaration parser: it never throws and always answers with well-formed diagnostics, whatever
 * the text; a valid document printed with printDocument parses back to itself; and a misspelt key is named. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DIAGNOSTIC_CODES, type Diagnostic } from '../../../shared/spec/diagnostics.ts';
import { knownKeysAt, type PathSegment, parseDeclarationFile, printDocument } from '../../../shared/spec/parse.ts';
import {
  type AnyDocument,
  API_VERSION,
  cloudFormationStackDocument,
  ecsServiceDocument,
  type SettingsDocument,
  settingsDocument,
} from '../../../shared/spec/schema.ts';
import { cloudFormationStack, ecsService, settingsInput } from '../../support/arbitraries.ts';

const NUM_RUNS = 300;
const KNOWN_CODES = Object.keys(DIAGNOSTIC_CODES);

function expectWellFormed(file: string, diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) {
    expect(KNOWN_CODES).toContain(d.code);
    expect(d.file).toBe(file);
    expect(Number.isInteger(d.line) && d.line >= 1).toBe(true);
    expect(Number.isInteger(d.column) && d.column >= 1).toBe(true);
    expect(d.severity).toBe(d.code.startsWith('W_') ? 'warning' : 'error');
    expect(typeof d.message).toBe('string');
    expect(d.message.length).toBeGreaterThan(0);
  }
}

/** Parses without throwing and with well-formed diagnostics; answers the result for further checks. */
function parsesSafely(text: string, file = 'services/any.yaml') {
  const parsed = parseDeclarationFile(file, text);
  expect(parsed.file).toBe(file);
  expectWellFormed(file, parsed.diagnostics);
  return parsed;
}

const errorsOf = (diagnostics: readonly Diagnostic[]) => diagnostics.filter((d) => d.severity === 'error');

// ------------------------------------------------------------------------------------------ arbitrary text

/** Pieces YAML is made of, glued together in any order: most results are broken YAML, some are odd valid YAML. */
const yamlFragment = fc.oneof(
  fc.constantFrom(
    'apiVersion',
    'kind',
    'metadata',
    'spec',
    'name',
    'taskDefinition',
    'containerDefinitions',
    'driftless/v1',
    'EcsService',
    'Settings',
    'CloudFormationStack',
    ':',
    ': ',
    '- ',
    '-',
    '\n',
    '\n  ',
    '\n    ',
    '  ',
    '\t',
    '"',
    "'",
    '{',
    '}',
    '[',
    ']',
    ', ',
    '&a ',
    '*a',
    '&b ',
    '*b',
    '<<: *a',
    '!tag ',
    '!!str ',
    '!!map ',
    '!Ref ',
    '---\n',
    '...\n',
    '# comment',
    '|\n',
    '>-\n',
    '? ',
    '%YAML 1.2\n',
    '@',
    '`',
    '~',
    'null',
    'true',
    '0x1F',
    '1e400',
    '.nan',
    '\r\n',
    '\uFEFF',
    '\u0000',
  ),
  fc.string({ maxLength: 8 }),
  fc.integer().map(String),
);
const yamlIsh = fc.array(yamlFragment, { maxLength: 60 }).map((parts) => parts.join(''));

/** A JSON value shaped like a declaration, so the schema and the locator get past the first checks. */
const declarationShaped = fc.record(
  {
    apiVersion: fc.oneof(fc.constant(API_VERSION), fc.jsonValue({ maxDepth: 1 })),
    kind: fc.oneof(fc.constantFrom('Settings', 'EcsService', 'CloudFormationStack'), fc.jsonValue({ maxDepth: 1 })),
    metadata: fc.jsonValue({ maxDepth: 3 }),
    spec: fc.jsonValue({ maxDepth: 4 }),
    sync: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: ['apiVersion', 'kind'] },
);

describe('parseDeclarationFile on any text', () => {
  it('never throws on arbitrary strings, and its diagnostics are well-formed', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })), (text) => {
        parsesSafely(text);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('never throws on YAML-ish text built from fragments', () => {
    fc.assert(
      fc.property(yamlIsh, (text) => {
        parsesSafely(text);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('never throws on JSON values written as YAML or as JSON', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.jsonValue(), declarationShaped),
        fc.constantFrom('yaml', 'json', 'json-pretty'),
        (value, format) => {
          const text =
            format === 'yaml'
              ? stringify(value)
              : format === 'json'
                ? JSON.stringify(value)
                : JSON.stringify(value, null, 2);
          parsesSafely(text, format === 'yaml' ? 'services/value.yaml' : 'services/value.json');
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('never throws on several documents in one file', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            yamlIsh,
            declarationShaped.map((v) => stringify(v)),
          ),
          { maxLength: 4 },
        ),
        (docs) => {
          parsesSafely(docs.join('\n---\n'));
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

// ------------------------------------------------------------------------------------------ valid documents

describe('the arbitraries', () => {
  it('build documents the schemas accept', () => {
    fc.assert(
      fc.property(ecsService, cloudFormationStack, settingsInput, (service, stack, settings) => {
        expect(ecsServiceDocument.safeParse(service).error?.issues).toBeUndefined();
        expect(cloudFormationStackDocument.safeParse(stack).error?.issues).toBeUndefined();
        expect(settingsDocument.safeParse(settings).error?.issues).toBeUndefined();
      }),
      { numRuns: 100 },
    );
  });
});

describe('printDocument then parseDeclarationFile', () => {
  function roundTrip(document: AnyDocument, file: string) {
    const parsed = parsesSafely(printDocument(document), file);
    expect(errorsOf(parsed.diagnostics)).toEqual([]);
    expect(parsed.documents).toHaveLength(1);
    return parsed.documents[0]!;
  }

  it('gives back the same EcsService', () => {
    fc.assert(
      fc.property(ecsService, (service) => {
        const parsed = roundTrip(service, 'services/web.yaml');
        expect(parsed.kind).toBe('EcsService');
        expect(parsed.document).toEqual(service);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('gives back the same CloudFormationStack', () => {
    fc.assert(
      fc.property(cloudFormationStack, (stack) => {
        const parsed = roundTrip(stack, 'stacks/network.yaml');
        expect(parsed.kind).toBe('CloudFormationStack');
        expect(parsed.document).toEqual(stack);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('gives back the same Settings, with the defaults the schema applies', () => {
    fc.assert(
      fc.property(settingsInput, (input) => {
        const settings: SettingsDocument = settingsDocument.parse(input);
        const fromInput = roundTrip(input as AnyDocument, 'driftless.yaml');
        const fromOutput = roundTrip(settings, 'driftless.yaml');
        expect(fromInput.kind).toBe('Settings');
        expect(fromInput.document).toEqual(settings);
        expect(fromOutput.document).toEqual(settings);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('gives back every document of a multi-document file, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(ecsService, cloudFormationStack), { minLength: 1, maxLength: 4 }), (documents) => {
        const text = documents.map(printDocument).join('---\n');
        const parsed = parsesSafely(text, 'services/all.yaml');
        expect(errorsOf(parsed.diagnostics)).toEqual([]);
        expect(parsed.documents.map((d) => d.document)).toEqual(documents);
      }),
      { numRuns: 100 },
    );
  });
});

// ------------------------------------------------------------------------------------------ misspelt keys

/** Every path to a key of a fixed-shape mapping (not a free-form one such as labels or parameters). */
function keyPaths(value: unknown, path: PathSegment[] = []): PathSegment[][] {
  if (Array.isArray(value)) return value.flatMap((item, index) => keyPaths(item, [...path, index]));
  if (typeof value !== 'object' || value === null) return [];
  const last = path[path.length - 1];
  if (FREE_FORM.has(String(last))) return [];
  return Object.entries(value).flatMap(([key, child]) => [[...path, key], ...keyPaths(child, [...path, key])]);
}
// `autoscaling` is a union of a boolean and a mapping; a misspelt key in it is not named (see the report).
const FREE_FORM = new Set(['labels', 'dockerLabels', 'options', 'parameters', 'driverOpts', 'autoscaling']);
// A stack's tags are a free-form mapping, an ECS service's tags a list of {key, value}.
const isFreeForm = (document: AnyDocument, path: readonly PathSegment[]) =>
  document.kind === 'CloudFormationStack' && path[0] === 'spec' && path[1] === 'tags' && path.length > 2;

const misspell = fc.constantFrom(
  (key: string) => key.slice(0, -1),
  (key: string) => `${key}s`,
  (key: string) => key.slice(0, 1) + key.slice(2),
  (key: string) => (key.length > 2 ? key.slice(0, 1) + key[2] + key[1] + key.slice(3) : `${key}x`),
  (key: string) => key.toUpperCase(),
  (key: string) => `${key[0] === 'x' ? 'y' : 'x'}${key.slice(1)}`,
);

function renameKey(document: AnyDocument, path: readonly PathSegment[], to: string): unknown {
  const copy = structuredClone(document) as unknown;
  let parent = copy as Record<PathSegment, unknown>;
  for (const segment of path.slice(0, -1)) parent = parent[segment] as Record<PathSegment, unknown>;
  const from = path[path.length - 1] as string;
  // Rebuild the mapping so the misspelt key keeps its place: the printed file reads like the original.
  const entries = Object.entries(parent).map(([key, value]) => [key === from ? to : key, value] as const);
  for (const key of Object.keys(parent)) delete parent[key];
  Object.assign(parent, Object.fromEntries(entries));
  return copy;
}

describe('a misspelt key', () => {
  const schemas = { EcsService: ecsServiceDocument, CloudFormationStack: cloudFormationStackDocument } as const;

  it('is an E_SCHEMA error that names the key, on the line that holds it', () => {
    fc.assert(
      fc.property(
        fc.oneof(ecsService, cloudFormationStack).chain((document) => {
          // apiVersion and kind are read before the schema: a misspelt one reads as missing (its own test below).
          const paths = keyPaths(document).filter(
            (path) =>
              !isFreeForm(document, path) && !(path.length === 1 && ['apiVersion', 'kind'].includes(String(path[0]))),
          );
          return fc.tuple(fc.constant(document), fc.constantFrom(...paths), misspell);
        }),
        ([document, path, misspelling]) => {
          const key = String(path[path.length - 1]);
          const typo = misspelling(key);
          const parentPath = path.slice(0, -1);
          const schema = document.kind === 'EcsService' ? schemas.EcsService : schemas.CloudFormationStack;
          fc.pre(typo !== '' && !knownKeysAt(schema, parentPath).includes(typo));

          const text = stringify(renameKey(document, path, typo), { lineWidth: 0 });
          const parsed = parsesSafely(text, 'services/typo.yaml');

          expect(parsed.documents).toEqual([]);
          const named = parsed.diagnostics.filter(
            (d) => d.code === 'E_SCHEMA' && d.message.includes(`unknown key "${typo}"`),
          );
          expect(named).toHaveLength(1);
          expect(text.split('\n')[named[0]!.line - 1]).toContain(typo);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('at the top of a document suggests the key it was meant to be', () => {
    fc.assert(
      fc.property(ecsService, fc.constantFrom('spec', 'metadata', 'apiVersion', 'kind'), (service, key) => {
        const typo = `${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}`;
        const text = printDocument(service).replace(new RegExp(`^${key}:`, 'm'), `${typo}:`);
        const parsed = parsesSafely(text, 'services/typo.yaml');
        expect(parsed.documents).toEqual([]);
        expect(errorsOf(parsed.diagnostics).length).toBeGreaterThan(0);
        if (key === 'spec' || key === 'metadata') {
          expect(parsed.diagnostics.map((d) => d.message)).toContainEqual(
            expect.stringContaining(`unknown key "${typo}"; did you mean "${key}"?`),
          );
        }
      }),
      { numRuns: 100 },
    );
  });
});
