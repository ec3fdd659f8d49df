/** The CloudFormation resource specification templates are checked against before any AWS call: which resource
 * types exist and which property names each takes, from the index generated out of @aws-cdk/aws-service-spec
 * (infra/generate-resource-spec.ts). The index is a brotli data file (RESOURCE_SPEC_FILE), not JavaScript, so the
 * Lambda bundles do not parse 60 KB of it on every cold start; it is read and unpacked on the first lookup (most
 * invocations check no template) and a service's entry is decoded the first time one of its types is looked up.
 * Pure: the process's entry point hands in how to read the file (provideResourceSpec); zlib computes. */
import { brotliDecompressSync } from 'node:zlib';
import { TerminalError } from '../errors.ts';
import { RESOURCE_SPEC_SOURCE } from './resource-spec-data.ts';
import { nearest } from './suggest.ts';

/** The package and version the index was generated from, for messages and the README. */
export const RESOURCE_SPEC_VERSION = RESOURCE_SPEC_SOURCE;

/** The data file's name: in the repository beside this module, in a Lambda bundle beside index.mjs. */
export const RESOURCE_SPEC_FILE_NAME = 'resource-spec.br';

/** Where the packed index is: beside this module, which is shared/spec/ run from source and, once bundled, the
 * bundle's own directory (the stack copies the file there). The one resolver of its location. */
export function resourceSpecFile(): URL {
  return new URL(`./${RESOURCE_SPEC_FILE_NAME}`, import.meta.url);
}

/** Reads the packed index's bytes (readFileSync of resourceSpecFile() in every entry point). */
export type ResourceSpecReader = () => Uint8Array;

let reader: ResourceSpecReader | undefined;

/** Sets how the index is read; called once by each entry point (functions, CLI, bench, tests) before any lookup. */
export function provideResourceSpec(read: ResourceSpecReader): void {
  if (read === reader) return;
  reader = read;
  services = undefined;
  allTypes = undefined;
  decoded.clear();
}

/** The index cannot be read: no entry point provided it, or the data file is missing from the installation (a
 * packaging bug, never the user's input; a retry cannot help). */
export class ResourceSpecUnavailableError extends TerminalError {}

const decoded = new Map<string, ReadonlyMap<string, ReadonlySet<string>>>();
let allTypes: readonly string[] | undefined;
let services: Readonly<Record<string, string>> | undefined;

/** The services record of a packed index (infra/generate-resource-spec.ts packs it). */
export function unpackResourceSpec(packed: Uint8Array): Readonly<Record<string, string>> {
  return JSON.parse(brotliDecompressSync(packed).toString('utf8')) as Record<string, string>;
}

function resourceSpecServices(): Readonly<Record<string, string>> {
  if (services) return services;
  if (!reader) {
    throw new ResourceSpecUnavailableError(
      'the CloudFormation resource specification was not provided (provideResourceSpec at the entry point)',
    );
  }
  try {
    services = unpackResourceSpec(reader());
  } catch (cause) {
    throw new ResourceSpecUnavailableError(
      `cannot read the CloudFormation resource specification ${resourceSpecFile().pathname}`,
      { cause },
    );
  }
  return services;
}

function serviceTypes(service: string): ReadonlyMap<string, ReadonlySet<string>> | undefined {
  const cached = decoded.get(service);
  if (cached) return cached;
  const all = resourceSpecServices();
  const encoded = Object.hasOwn(all, service) ? all[service] : undefined;
  if (encoded === undefined) return undefined;
  const types = new Map<string, ReadonlySet<string>>();
  for (const entry of encoded.split(';')) {
    const [name, properties] = entry.split('=') as [string, string];
    types.set(name, new Set(properties === '' ? [] : properties.split(',')));
  }
  decoded.set(service, types);
  return types;
}

/** The property names a resource type takes, or undefined when CloudFormation has no such type. */
export function propertiesOf(type: string): ReadonlySet<string> | undefined {
  const separator = type.lastIndexOf('::');
  if (separator <= 0) return undefined;
  return serviceTypes(type.slice(0, separator))?.get(type.slice(separator + 2));
}

/** True when the specification has a service of this name (`AWS::SQS`). */
export function knownService(service: string): boolean {
  return Object.hasOwn(resourceSpecServices(), service);
}

/** The known type closest to a misspelt one (`AWS::EC2::VPCs` → `AWS::EC2::VPC`), if any is close. */
export function suggestType(type: string): string | undefined {
  allTypes ??= Object.entries(resourceSpecServices()).flatMap(([service, encoded]) =>
    encoded.split(';').map((entry) => `${service}::${entry.slice(0, entry.indexOf('='))}`),
  );
  return nearest(type, allTypes);
}

/** The property of `type` closest to a misspelt one, if any is close. */
export function suggestProperty(type: string, property: string): string | undefined {
  const properties = propertiesOf(type);
  return properties ? nearest(property, properties) : undefined;
}
