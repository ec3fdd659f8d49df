/** Keeps stderr quiet on supported Node versions: the AWS SDK's multi-line Node-version notice becomes one line. */

/** Lambda runs nodejs22.x, and Node 20 reached end of life in April 2026; engines still admits 20.19 for CI. */
export const SUPPORTED_NODE_MAJORS = [22, 24] as const;

type EmitWarning = typeof process.emitWarning;

/** Wraps `target.emitWarning` so that the SDK's NodeVersionSupportWarning (emitted by @aws-sdk/core when the first
 * client is built on Node < 22) prints as one line, once per process, and every other warning passes through as
 * it was. The SDK itself offers only AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED, which would hide the notice
 * altogether from someone on an unsupported Node. */
export function shortenNodeVersionWarning(
  target: { emitWarning: EmitWarning } = process,
  write: (text: string) => void = (text) => process.stderr.write(text),
): void {
  const original = target.emitWarning.bind(target) as (...args: unknown[]) => void;
  let noted = false;
  target.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning?.message;
    if (typeof text === 'string' && text.startsWith('NodeVersionSupportWarning')) {
      if (!noted) {
        noted = true;
        write(
          `note: Node ${process.version} is past its end of life; driftless supports Node ${SUPPORTED_NODE_MAJORS.join(' and ')} (AWS SDK releases after January 2027 require 22)\n`,
        );
      }
      return;
    }
    original(warning, ...rest);
  }) as EmitWarning;
}
