/** The SDK's event-stream support as the reconciler bundles resolve it (infra/bundling.ts aliases
 * @smithy/core/event-streams to this module): no operation driftless calls streams events, yet every schema-based
 * client loads the codec on demand, and bundled into one file "on demand" means always (~15 KB per bundle). Should an
 * operation with an event stream ever be called, it fails here by name instead of misbehaving. */
import { ConfigurationError } from '../errors.ts';

function unsupported(): never {
  throw new ConfigurationError(
    'AWS event streams are left out of the driftless Lambda bundles (infra/bundling.ts): an operation streamed events',
  );
}

/** The serde HttpProtocol constructs for an operation with an event stream. */
export class EventStreamSerde {
  constructor(_options?: unknown) {
    unsupported();
  }
}

/** The marshaller provider HttpProtocol resolves before constructing EventStreamSerde. */
export function eventStreamSerdeProvider(_options?: unknown): never {
  return unsupported();
}

/** What the S3 client wires in when it is constructed: the functions bundled with this stub never construct one (the
 * ledger archive, which does, is bundled with the real module), so doing it fails loudly. */
export function resolveEventStreamSerdeConfig(_input: unknown): never {
  return unsupported();
}
