/** Reads CloudFormation templates, YAML or JSON, understanding the short-form intrinsic tags (!Ref, !Sub, …)
 * by turning them into their long form, so a template compares as the data CloudFormation sees. Pure. */
import { type CollectionTag, parseDocument, type ScalarTag, YAMLMap } from 'yaml';
import { faultOffset } from './parse.ts';

const INTRINSICS = [
  'Base64',
  'Cidr',
  'FindInMap',
  'GetAtt',
  'GetAZs',
  'ImportValue',
  'Join',
  'Select',
  'Split',
  'Sub',
  'Transform',
  'And',
  'Equals',
  'If',
  'Not',
  'Or',
  'ToJsonString',
  'Length',
] as const;

function longForm(tagName: string): string {
  return tagName === 'Ref' || tagName === 'Condition' ? tagName : `Fn::${tagName}`;
}

function tagsFor(tagName: string): (ScalarTag | CollectionTag)[] {
  const key = longForm(tagName);
  const wrap = (value: unknown) => {
    const map = new YAMLMap();
    map.set(key, value);
    return map;
  };
  return [
    {
      tag: `!${tagName}`,
      resolve: (value: string) =>
        // !GetAtt takes "Resource.Attribute" in short form and a two-element list in long form.
        tagName === 'GetAtt' ? { [key]: splitOnce(value, '.') } : { [key]: value },
    },
    { tag: `!${tagName}`, collection: 'seq', resolve: wrap },
    { tag: `!${tagName}`, collection: 'map', resolve: wrap },
  ] as (ScalarTag | CollectionTag)[];
}

function splitOnce(value: string, separator: string): string[] {
  const index = value.indexOf(separator);
  return index === -1 ? [value] : [value.slice(0, index), value.slice(index + 1)];
}

export const CLOUDFORMATION_TAGS: (ScalarTag | CollectionTag)[] = [
  ...['Ref', 'Condition', ...INTRINSICS].flatMap(tagsFor),
];

export interface TemplateParseResult {
  readonly template?: Record<string, unknown>;
  readonly error?: { readonly message: string; readonly offset: number };
}

/** Parses a template body; an error names the first problem and where it is. */
export function parseTemplate(body: string): TemplateParseResult {
  const document = parseDocument(body, { customTags: CLOUDFORMATION_TAGS, prettyErrors: false, uniqueKeys: true });
  const problem = document.errors[0] ?? document.warnings[0];
  if (problem) {
    return {
      error: { message: problem.message.split('\n')[0] ?? problem.message, offset: faultOffset(body, problem) },
    };
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return { error: { message: (error as Error).message, offset: 0 } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: { message: 'a template is a mapping with a Resources section', offset: 0 } };
  }
  const template = value as Record<string, unknown>;
  if (typeof template.Resources !== 'object' || template.Resources === null) {
    return { error: { message: 'the template has no Resources section', offset: 0 } };
  }
  return { template };
}
