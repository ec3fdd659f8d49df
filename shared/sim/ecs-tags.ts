/** Tags on simulated ECS resources (services and task definition revisions): TagResource, UntagResource and
 * ListTagsForResource as ECS answers them. */
import type {
  ListTagsForResourceRequest,
  ListTagsForResourceResponse,
  Tag,
  TagResourceRequest,
  TagResourceResponse,
  UntagResourceRequest,
  UntagResourceResponse,
} from '@aws-sdk/client-ecs';
import type { ServiceRegistry } from './ecs-services.ts';
import type { TaskDefinitionRegistry } from './ecs-task-definitions.ts';
import { ecsErrors } from './errors.ts';

export class ResourceTags {
  constructor(
    private readonly services: ServiceRegistry,
    private readonly taskDefinitions: TaskDefinitionRegistry,
  ) {}

  /** The tag list of a service or task definition ARN, to read or change in place. */
  private taggable(resourceArn: string | undefined): { tags: Tag[]; set: (tags: Tag[]) => void } {
    const arn = resourceArn ?? '';
    const service = /^arn:aws:ecs:[^:]+:\d+:service\/([^/]+)\/([^/]+)$/.exec(arn);
    if (service) {
      const record = this.services.get(service[1] as string, service[2] as string);
      if (record && record.serviceArn === arn) {
        return {
          tags: record.tags ?? [],
          set: (tags) => {
            record.tags = tags;
          },
        };
      }
    }
    const taskDefinition = this.taskDefinitions.byArn(arn);
    if (taskDefinition) {
      return {
        tags: taskDefinition.tags,
        set: (tags) => {
          taskDefinition.tags = tags;
        },
      };
    }
    throw ecsErrors.invalidParameter('The specified resource could not be found.');
  }

  tagResource(input: TagResourceRequest): TagResourceResponse {
    const target = this.taggable(input.resourceArn);
    const added = input.tags ?? [];
    for (const tag of added) {
      if (tag.key?.toLowerCase().startsWith('aws:')) {
        throw ecsErrors.invalidParameter('Tag keys starting with aws: are reserved for AWS use.');
      }
    }
    const merged = target.tags.filter((tag) => !added.some((update) => update.key === tag.key));
    merged.push(...added);
    if (merged.length > 50) throw ecsErrors.invalidParameter('A resource can have at most 50 tags.');
    target.set(merged);
    return {};
  }

  untagResource(input: UntagResourceRequest): UntagResourceResponse {
    const target = this.taggable(input.resourceArn);
    const keys = new Set(input.tagKeys ?? []);
    target.set(target.tags.filter((tag) => !keys.has(tag.key ?? '')));
    return {};
  }

  listTagsForResource(input: ListTagsForResourceRequest): ListTagsForResourceResponse {
    return { tags: this.taggable(input.resourceArn).tags };
  }
}
