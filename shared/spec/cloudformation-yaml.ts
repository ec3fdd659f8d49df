/** Reads CloudFormation templates, YAML or JSON, understanding the short-form intrinsic tags (!Ref, !Sub, …)
 * by turning them into their long form, so a template compares as the data CloudFormation sees. Pure. */
import { type CollectionTag, type ScalarTag, YAMLMap } from 'yaml';
import { INPUT_LIMITS, type InputLimits } from './limits.ts';
import { readYaml } from './yaml-reader.ts';

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
  /** E_LIMIT when the template is over a limit; otherwise it is unreadable (E_TEMPLATE where it is a stack's). */
  readonly error?: { readonly message: string; readonly offset: number; readonly code?: 'E_YAML' | 'E_LIMIT' };
}

/** Parses a template body; an error names the first problem and where it is. Never throws, and takes time linear in
 * the body: the live template of every stack is parsed on every sweep. */
export function parseTemplate(body: string, limits: InputLimits = INPUT_LIMITS): TemplateParseResult {
  try {
    return readTemplate(body, limits);
  } catch (error) {
    // Nothing above should throw; if it does, the template is refused, never the whole run.
    return { error: { message: `cannot read the template: ${(error as Error).message}`, offset: 0 } };
  }
}

function readTemplate(body: string, limits: InputLimits): TemplateParseResult {
  const read = readYaml(body, { limits, customTags: CLOUDFORMATION_TAGS });
  if (read.fault) return { error: { message: read.fault.message, offset: read.fault.offset, code: read.fault.code } };
  const documents = read.documents.filter((document) => !document.empty || document.fault);
  const [first, second] = documents;
  if (first?.fault)
    return { error: { message: first.fault.message, offset: first.fault.offset, code: first.fault.code } };
  if (second) {
    const offset = second.document.range[0];
    return { error: { message: 'a template is one YAML document; this file holds more than one', offset } };
  }
  const value = first?.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: { message: 'a template is a mapping with a Resources section', offset: 0 } };
  }
  const template = value as Record<string, unknown>;
  if (typeof template.Resources !== 'object' || template.Resources === null) {
    return { error: { message: 'the template has no Resources section', offset: 0 } };
  }
  return { template };
}
