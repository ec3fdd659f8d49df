/** The CloudFormation resource specification templates are checked against before any AWS call: which resource
 * types exist and which property names each takes, from the index generated out of @aws-cdk/aws-service-spec
 * (resource-spec-data.ts). The index is unpacked on the first lookup (not at import: most invocations check no
 * template, and every cold start would pay for it) and a service's entry is decoded the first time one of its types is
 * looked up. Pure: zlib computes, it reads nothing. */
import { brotliDecompressSync } from 'node:zlib';
import { RESOURCE_SPEC_PACKED, RESOURCE_SPEC_SOURCE } from './resource-spec-data.ts';
import { nearest } from './suggest.ts';

/** The package and version the index was generated from, for messages and the README. */
export const RESOURCE_SPEC_VERSION = RESOURCE_SPEC_SOURCE;

const decoded = new Map<string, ReadonlyMap<string, ReadonlySet<string>>>();
let allTypes: readonly string[] | undefined;
let services: Readonly<Record<string, string>> | undefined;

/** The services record of a packed index (infra/generate-resource-spec.ts packs it). */
export function unpackResourceSpec(packed: string): Readonly<Record<string, string>> {
  return JSON.parse(brotliDecompressSync(Buffer.from(packed, 'base64')).toString('utf8')) as Record<string, string>;
}

function resourceSpecServices(): Readonly<Record<string, string>> {
  services ??= unpackResourceSpec(RESOURCE_SPEC_PACKED);
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
