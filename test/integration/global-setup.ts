/** Decides the integration target once per run, prints the one line saying what runs (or why nothing does), and
 * provides the target to every test file. Starts nothing and deploys nothing. */
import type { TestProject } from 'vitest/node';
import { integrationTarget } from './target.ts';

export default async function setup(project: TestProject): Promise<void> {
  const target = await integrationTarget();
  process.stdout.write(`${target.reason}\n`);
  project.provide('integrationTarget', target);
}
