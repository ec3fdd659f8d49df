/** Builds repository snapshots and live state from YAML in memory, for planner tests that need no git. */
import type { LiveEcsService, LiveResource, LiveStack, LiveState } from '../../shared/plan/live-state.ts';
import { parseTemplate } from '../../shared/spec/cloudformation-yaml.ts';
import { parseDeclarationFile } from '../../shared/spec/parse.ts';
import { locateReferences } from '../../shared/spec/references.ts';
import { type Declaration, identityOf, type RepositorySnapshot } from '../../shared/spec/repository.ts';
import type { SettingsDocument } from '../../shared/spec/schema.ts';

export const SETTINGS_YAML = `apiVersion: driftless/v1
kind: Settings
spec:
  targets: { clusters: [prod], stackNamePrefix: platform-, roleArnPatterns: ['arn:aws:iam::123456789012:role/app/*'] }
`;

/** Parses declarations (one YAML text per file) into a snapshot; throws on any error, since tests feed valid input. */
export function snapshotOf(
  files: Record<string, string>,
  options: { templates?: Record<string, string>; settings?: string; pruneBlocked?: boolean } = {},
): RepositorySnapshot {
  const settingsFile = parseDeclarationFile('driftless.yaml', options.settings ?? SETTINGS_YAML);
  const settings = settingsFile.documents[0];
  if (settings?.kind !== 'Settings') throw new Error(`bad settings: ${JSON.stringify(settingsFile.diagnostics)}`);
  const declarations: Declaration[] = [];
  for (const [file, text] of Object.entries(files)) {
    const parsed = parseDeclarationFile(file, text);
    const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0) throw new Error(`${file}: ${JSON.stringify(errors)}`);
    for (const document of parsed.documents) {
      const id = identityOf(document)!;
      if (document.kind === 'EcsService') {
        const references = locateReferences(document.document.spec, document.locate);
        declarations.push({
          kind: 'EcsService',
          id,
          document: document.document,
          location: document.location,
          ...(references.length > 0 ? { references } : {}),
        });
      } else if (document.kind === 'CloudFormationStack') {
        const path = document.document.spec.template;
        const body = options.templates?.[path];
        if (body === undefined) throw new Error(`no template ${path}`);
        const { template } = parseTemplate(body);
        if (!template) throw new Error(`bad template ${path}`);
        declarations.push({
          kind: 'CloudFormationStack',
          id,
          document: document.document,
          location: document.location,
          template: { path, body, parsed: template },
        });
      }
    }
  }
  return {
    commitId: 'c0ffee0000000000000000000000000000000000',
    prefix: '',
    settings: { document: settings.document as SettingsDocument, location: settings.location },
    declarations,
    diagnostics: [],
    pruneBlocked: options.pruneBlocked ?? false,
    fileCount: Object.keys(files).length + 1,
  };
}

export function liveStateOf(resources: readonly LiveResource[], absent: readonly string[] = []): LiveState {
  return { resources: new Map(resources.map((resource) => [resource.id, resource])), absent: new Set(absent) };
}

export function liveService(
  cluster: string,
  name: string,
  service: Record<string, unknown>,
  taskDefinition: Record<string, unknown>,
  taskDefinitionTags: LiveEcsService['taskDefinitionTags'] = [],
): LiveEcsService {
  return {
    kind: 'EcsService',
    id: `EcsService:${cluster}/${name}`,
    cluster,
    name,
    service,
    taskDefinition,
    taskDefinitionTags,
  };
}

export function liveStack(name: string, stack: Record<string, unknown>, templateBody?: string): LiveStack {
  return {
    kind: 'CloudFormationStack',
    id: `CloudFormationStack:${name}`,
    name,
    stack: { StackName: name, ...stack },
    ...(templateBody === undefined ? {} : { templateBody }),
  };
}
