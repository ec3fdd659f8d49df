/** A parsed file lets go of its syntax trees: locating a finding afterwards reads the text again, and must land
 * exactly where locating during the parse would have, in whichever document of the file it is. */
import { describe, expect, it } from 'vitest';
import { checkFile, portableCheckedFile, restoreCheckedFile } from '../../../shared/spec/declaration-files.ts';
import { INPUT_LIMITS } from '../../../shared/spec/limits.ts';
import { documentLocators, parseDeclarationFile } from '../../../shared/spec/parse.ts';

const service = (name: string, extra = '') => `apiVersion: driftless/v1
kind: EcsService
metadata: { name: ${name}, cluster: prod }
spec:
  desiredCount: 1
  taskDefinition:
    family: ${name}
    cpu: "256"
    memory: "512"
    containerDefinitions:
      - name: app
        image: registry.example.com/${name}:1.0.0${extra}
`;

const stack = `apiVersion: driftless/v1
kind: CloudFormationStack
metadata: { name: platform-queue }
spec:
  template: queue.template.yaml
  parameters:
    Retention: 0345
`;

const TWO_SERVICES = `${service('first')}---\n# the second service\n${service('second')}`;

describe('locating in a parsed file', () => {
  it('finds a path in the second document after the parse, on the line it is written', () => {
    // Prepare
    const parsed = parseDeclarationFile('services/two.yaml', TWO_SERVICES);
    const lines = TWO_SERVICES.split('\n');

    // Act
    const image = parsed.documents[1]!.locate(['spec', 'taskDefinition', 'containerDefinitions', 0, 'image']);
    const family = parsed.documents[0]!.locate(['spec', 'taskDefinition', 'family']);

    // Assess
    expect(parsed.documents.map((d) => d.index)).toEqual([0, 1]);
    expect(image.file).toBe('services/two.yaml');
    expect(lines[image.line - 1]).toContain('image: registry.example.com/second:1.0.0');
    // A scalar value is pointed at itself, not at its key.
    expect(lines[image.line - 1]!.indexOf('registry.example.com/second') + 1).toBe(image.column);
    expect(lines[family.line - 1]).toContain('family: first');
  });

  it('gives the same locations and plain sources from the text alone as from the parse', () => {
    // Prepare
    const text = `${service('web')}---\n${stack}`;
    const parsed = parseDeclarationFile('mixed.yaml', text);
    const paths = [
      ['metadata', 'name'],
      ['spec', 'taskDefinition', 'containerDefinitions', 0, 'image'],
      ['spec', 'parameters', 'Retention'],
      ['spec', 'no', 'such', 'path'],
    ];

    // Act
    const fromText = parsed.documents.map((d) => documentLocators('mixed.yaml', text, INPUT_LIMITS, d.index));

    // Assess
    parsed.documents.forEach((document, i) => {
      for (const path of paths) {
        expect(fromText[i]!.locate(path)).toEqual(document.locate(path));
        expect(fromText[i]!.locate(path, { key: true })).toEqual(document.locate(path, { key: true }));
      }
    });
    expect(parsed.documents[1]!.plainSource?.(['spec', 'parameters', 'Retention'])).toBe('0345');
    expect(fromText[1]!.plainSource?.(['spec', 'parameters', 'Retention'])).toBe('0345');
  });
});

describe('a checked file as data', () => {
  it('comes back with the same documents, diagnostics and locators', () => {
    // Prepare: a file with a finding (a secret-looking variable) and a valid second document.
    const text = `${service('web', '\n        environment: [{ name: DB_PASSWORD, value: hunter2hunter2 }]')}---\n${service('api')}`;
    const checked = checkFile('services/web.yaml', text, INPUT_LIMITS);

    // Act: through structured cloning, as between threads.
    const restored = restoreCheckedFile(
      'services/web.yaml',
      text,
      INPUT_LIMITS,
      structuredClone(portableCheckedFile(checked)),
    );

    // Assess
    expect(checked.diagnostics.map((d) => d.code)).toContain('E_SECRET_VALUE');
    expect(restored.diagnostics).toEqual(checked.diagnostics);
    expect(restored.templates).toEqual(checked.templates);
    expect(restored.documents.map(({ locate: _l, plainSource: _p, ...data }) => data)).toEqual(
      checked.documents.map(({ locate: _l, plainSource: _p, ...data }) => data),
    );
    const path = ['spec', 'taskDefinition', 'containerDefinitions', 0, 'environment', 0, 'value'];
    expect(restored.documents[0]!.locate(path)).toEqual(checked.documents[0]!.locate(path));
  });
});
