/** How a webhook proves it comes from the host: GitHub signs the raw body (X-Hub-Signature-256, HMAC-SHA256 with the
 * webhook secret), GitLab sends the secret token itself (X-Gitlab-Token). Both are compared in constant time, on
 * buffers of equal length, so the comparison's duration tells an attacker nothing about the secret. */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const GITHUB_SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

/** `sha256=` and the hex HMAC-SHA256 of `body` keyed with `secret`, as GitHub sends it. */
export function githubSignature(body: Uint8Array, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Whether `header` (X-Hub-Signature-256) is GitHub's signature of exactly these bytes with this secret. */
export function isGitHubSignatureValid(body: Uint8Array, header: string | undefined, secret: string): boolean {
  const given = header === undefined ? undefined : GITHUB_SIGNATURE.exec(header.trim())?.[1];
  if (given === undefined || secret === '') return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  // Both are 32 bytes: the hex was checked to be 64 digits.
  return timingSafeEqual(Buffer.from(given, 'hex'), expected);
}

/** Whether `header` (X-Gitlab-Token) is the secret token. Both sides are hashed first, so the buffers compared are of
 * equal length whatever was sent, and a length difference is not revealed either. */
export function isGitLabTokenValid(header: string | undefined, secret: string): boolean {
  if (header === undefined || header === '' || secret === '') return false;
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(header), digest(secret));
}
