/** Numbers checked the way AWS checks them, before any call: task cpu and memory in the forms ECS accepts and in the
 * pairs Fargate offers, container memory and cpu within the task's, ports in range, desiredCount within the
 * tasks-per-service quota; and stack parameters YAML would change (0123, 1.10, 2^53 + 1) refused until quoted. Pure. */
import { type Diagnostic, diagnostic } from './diagnostics.ts';
import type { ParsedDocument, PathSegment } from './parse.ts';
import type { CloudFormationStackSpec, EcsServiceDocument } from './schema.ts';
import { looksLikeSecretName } from './secrets.ts';

type Locate = ParsedDocument['locate'];

/** ECS service quota "Tasks per service": the most tasks one service runs (its desired count). */
export const MAX_TASKS_PER_SERVICE = 5000;
/** Task-level cpu on EC2 and external instances: 128 CPU units (0.125 vCPU) to 196608 (192 vCPU). */
const EC2_TASK_CPU = { min: 128, max: 196_608 } as const;

/** Fargate's task cpu and memory pairs (ECS developer guide, "Task CPU and memory"): per cpu value in CPU units, the
 * memory values in MiB, and how the guide words them. */
const FARGATE_MEMORY: Readonly<Record<number, { readonly offered: readonly number[]; readonly words: string }>> = {
  256: { offered: [512, 1024, 2048], words: '512, 1024 or 2048 MiB' },
  512: fargateRange(1024, 4096, 1024),
  1024: fargateRange(2048, 8192, 1024),
  2048: fargateRange(4096, 16384, 1024),
  4096: fargateRange(8192, 30720, 1024),
  8192: fargateRange(16384, 61440, 4096),
  16384: fargateRange(32768, 122880, 8192),
};

function fargateRange(from: number, to: number, step: number) {
  const offered: number[] = [];
  for (let memory = from; memory <= to; memory += step) offered.push(memory);
  return { offered, words: `${from} to ${to} MiB in steps of ${step}` };
}

export function fargateAllows(cpu: number, memory: number): boolean {
  return FARGATE_MEMORY[cpu]?.offered.includes(memory) ?? false;
}

type Amount = { readonly value: number } | { readonly problem: string } | undefined;

/** Task cpu as CPU units: 1024, "1024", "1 vCPU" or "0.25 vcpu", as RegisterTaskDefinition accepts it. */
export function cpuUnits(value: string | number | undefined): Amount {
  return amount(value, /^(\d+(?:\.\d+)?)\s*vcpu$/i, 'CPU units (1024) or vCPUs ("1 vCPU")');
}

/** Task memory in MiB: 2048, "2048", "2 GB" or "2GB", as RegisterTaskDefinition accepts it. */
export function memoryMiB(value: string | number | undefined): Amount {
  return amount(value, /^(\d+(?:\.\d+)?)\s*gb$/i, 'MiB (2048) or GB ("2 GB")');
}

function amount(value: string | number | undefined, unit: RegExp, forms: string): Amount {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  let result: number;
  if (typeof value === 'number' || /^\d+$/.test(text)) result = Number(text);
  else {
    const match = unit.exec(text);
    if (!match) return { problem: `is written ${JSON.stringify(value)}; write it in ${forms}` };
    result = Number(match[1]) * 1024;
  }
  if (!Number.isInteger(result) || result <= 0) {
    return { problem: `is ${JSON.stringify(value)}; ECS takes a positive whole number of ${forms}` };
  }
  return { value: result };
}

export function checkServiceNumbers(document: EcsServiceDocument, locate: Locate): Diagnostic[] {
  const found: Diagnostic[] = [];
  const report = (path: PathSegment[], message: string) => found.push(diagnostic('E_NUMBER', locate(path), message));
  const spec = document.spec;
  const taskDefinition = spec.taskDefinition;
  const base: PathSegment[] = ['spec', 'taskDefinition'];

  const cpu = cpuUnits(taskDefinition.cpu);
  const memory = memoryMiB(taskDefinition.memory);
  if (cpu && 'problem' in cpu) report([...base, 'cpu'], `taskDefinition.cpu ${cpu.problem}`);
  if (memory && 'problem' in memory) report([...base, 'memory'], `taskDefinition.memory ${memory.problem}`);
  const taskCpu = cpu && 'value' in cpu ? cpu.value : undefined;
  const taskMemory = memory && 'value' in memory ? memory.value : undefined;

  const fargate =
    (taskDefinition.requiresCompatibilities ?? []).includes('FARGATE') ||
    spec.launchType === 'FARGATE' ||
    (spec.capacityProviderStrategy ?? []).some((item) => item.capacityProvider.startsWith('FARGATE'));
  if (fargate) {
    if (taskDefinition.cpu === undefined || taskDefinition.memory === undefined) {
      report(base, 'a task that runs on Fargate needs taskDefinition.cpu and taskDefinition.memory');
    } else if (taskCpu !== undefined && taskMemory !== undefined && !fargateAllows(taskCpu, taskMemory)) {
      report(
        [...base, 'memory'],
        `Fargate offers no task with ${taskCpu} CPU units and ${taskMemory} MiB: ${fargateChoices(taskCpu)}`,
      );
    }
    const windows = /^WINDOWS/.test(taskDefinition.runtimePlatform?.operatingSystemFamily ?? '');
    if (windows && taskCpu !== undefined && (taskCpu < 1024 || taskCpu > 4096)) {
      report([...base, 'cpu'], `Windows containers on Fargate take 1024 to 4096 CPU units, not ${taskCpu}`);
    }
  } else if (taskCpu !== undefined && (taskCpu < EC2_TASK_CPU.min || taskCpu > EC2_TASK_CPU.max)) {
    report(
      [...base, 'cpu'],
      `task cpu on EC2 is ${EC2_TASK_CPU.min} to ${EC2_TASK_CPU.max} CPU units (0.125 to 192 vCPU), not ${taskCpu}`,
    );
  }

  let containerCpu = 0;
  taskDefinition.containerDefinitions.forEach((container, index) => {
    const at: PathSegment[] = [...base, 'containerDefinitions', index];
    containerCpu += container.cpu ?? 0;
    const { memory: hard, memoryReservation: soft } = container;
    if (hard !== undefined && soft !== undefined && soft > hard) {
      report(
        [...at, 'memoryReservation'],
        `container ${container.name} reserves ${soft} MiB, more than its memory limit of ${hard} MiB`,
      );
    }
    if (taskMemory !== undefined && hard !== undefined && hard > taskMemory) {
      report([...at, 'memory'], `container ${container.name} asks for ${hard} MiB; the task has ${taskMemory} MiB`);
    }
    container.portMappings?.forEach((mapping, mappingIndex) => {
      const range = mapping.containerPortRange;
      if (range !== undefined && !isPortRange(range)) {
        report(
          [...at, 'portMappings', mappingIndex, 'containerPortRange'],
          `containerPortRange ${JSON.stringify(range)} is not a range of ports such as "8000-8010" (1 to 65535, low to high)`,
        );
      }
    });
  });
  if (taskCpu !== undefined && containerCpu > taskCpu) {
    report(
      [...base, 'containerDefinitions'],
      `the containers reserve ${containerCpu} CPU units together; the task has ${taskCpu}`,
    );
  }

  if (spec.desiredCount !== undefined && spec.desiredCount > MAX_TASKS_PER_SERVICE) {
    report(
      ['spec', 'desiredCount'],
      `desiredCount ${spec.desiredCount} is above ${MAX_TASKS_PER_SERVICE}, the ECS quota of tasks per service`,
    );
  }
  if (typeof spec.autoscaling === 'object' && spec.autoscaling.maxCapacity > MAX_TASKS_PER_SERVICE) {
    report(
      ['spec', 'autoscaling', 'maxCapacity'],
      `maxCapacity ${spec.autoscaling.maxCapacity} is above ${MAX_TASKS_PER_SERVICE}, the ECS quota of tasks per service`,
    );
  }
  const minimumHealthy = spec.deploymentConfiguration?.minimumHealthyPercent;
  if (minimumHealthy !== undefined && minimumHealthy > 100) {
    report(
      ['spec', 'deploymentConfiguration', 'minimumHealthyPercent'],
      `minimumHealthyPercent is a percentage of desiredCount from 0 to 100, not ${minimumHealthy}`,
    );
  }
  spec.serviceRegistries?.forEach((registry, index) => {
    for (const field of ['port', 'containerPort'] as const) {
      const port = registry[field];
      if (port !== undefined && (port < 0 || port > 65535)) {
        report(['spec', 'serviceRegistries', index, field], `${field} ${port} is not a port (0 to 65535)`);
      }
    }
  });
  spec.serviceConnectConfiguration?.services?.forEach((service, index) => {
    const at: PathSegment[] = ['spec', 'serviceConnectConfiguration', 'services', index];
    if (service.ingressPortOverride !== undefined && !isPort(service.ingressPortOverride)) {
      report(
        [...at, 'ingressPortOverride'],
        `ingressPortOverride ${service.ingressPortOverride} is not a port (1 to 65535)`,
      );
    }
    service.clientAliases?.forEach((alias, aliasIndex) => {
      if (!isPort(alias.port)) {
        report(
          [...at, 'clientAliases', aliasIndex, 'port'],
          `client alias port ${alias.port} is not a port (1 to 65535)`,
        );
      }
    });
  });
  return found;
}

function isPort(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= 65535;
}

function isPortRange(range: string): boolean {
  const match = /^(\d+)-(\d+)$/.exec(range);
  if (!match) return false;
  const [low, high] = [Number(match[1]), Number(match[2])];
  return isPort(low) && isPort(high) && low < high;
}

function fargateChoices(cpu: number): string {
  const choices = FARGATE_MEMORY[cpu];
  if (!choices) return `its cpu values are ${Object.keys(FARGATE_MEMORY).join(', ')} CPU units`;
  return `with ${cpu} CPU units it offers ${choices.words}`;
}

// ------------------------------------------------------------------------------------------------ stack parameters

/** Parameters CloudFormation receives as text: an unquoted scalar YAML reads as a number or a boolean is sent as that
 * value's text, which is not always what was written. */
export function checkStackParameterNumbers(
  parameters: CloudFormationStackSpec['parameters'],
  locate: Locate,
  plainSource: ParsedDocument['plainSource'],
): Diagnostic[] {
  const found: Diagnostic[] = [];
  for (const [name, value] of Object.entries(parameters ?? {})) {
    if (typeof value === 'string') continue;
    const path = ['spec', 'parameters', name];
    const written = plainSource?.(path);
    const sent = String(value);
    if (written === undefined || written === sent) continue;
    const how = changeOf(written, value);
    // A secret-looking parameter is refused as a secret too; its value is not repeated here.
    const message = looksLikeSecretName(name)
      ? `parameter ${name} is an unquoted value YAML reads as ${how}: quote it to send it as written`
      : `parameter ${name} is written ${written}, which YAML reads as ${how} and would send as "${sent}": quote it ("${written}") to send it as written`;
    found.push(diagnostic('E_PARAMETER', locate(path), message));
  }
  return found;
}

function changeOf(written: string, value: number | boolean): string {
  if (typeof value === 'boolean') return `the boolean ${value}`;
  if (/^[-+]?0[xo]/i.test(written)) return 'a hexadecimal or octal number';
  if (/^[-+]?0\d/.test(written)) return 'a number, dropping its leading zeros';
  if (/^[-+]?\d+$/.test(written) && !Number.isSafeInteger(value)) return 'a number beyond 2^53, rounded';
  if (/[.eE]/.test(written)) return 'a floating-point number';
  return 'a number';
}
