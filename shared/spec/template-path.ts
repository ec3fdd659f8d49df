/** Where a CloudFormationStack's template is: its path written relative to the declaration file, resolved inside the
 * repository. Pure. */
import { posix } from 'node:path';

export type ResolvedPath = { ok: true; path: string } | { ok: false; reason: string };

/** Resolves a template path written relative to its declaration file; refuses anything outside the repository. */
export function resolveTemplatePath(declarationFile: string, templatePath: string): ResolvedPath {
  if (templatePath.startsWith('/') || /^[A-Za-z]:[\\/]/.test(templatePath) || templatePath.includes('\\')) {
    return { ok: false, reason: `template path ${templatePath} must be relative to the declaration file` };
  }
  const joined = posix.normalize(posix.join(posix.dirname(declarationFile), templatePath));
  if (joined === '..' || joined.startsWith('../')) {
    return { ok: false, reason: `template path ${templatePath} leads outside the repository` };
  }
  return { ok: true, path: joined };
}
