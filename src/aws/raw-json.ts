/**
 * JSON that is already serialized, as the value of a `document()` member of an
 * operation's output: DynamoDB keeps every item as JSON text, so GetItem and
 * Query can hand that text back instead of parsing it only for the protocol to
 * serialize it again (on a 1 KB item that pair was most of the codec's cost).
 *
 * The JSON protocols splice `text` into the response body as is; any other
 * serializer that meets one (XML, a nested position) parses it, so a RawJson
 * is always correct, only faster where it is spliced. Whoever builds one
 * vouches that `text` is one valid JSON value (e.g. it came from
 * JSON.stringify): it is not checked on the hot path.
 */
import type { JsonValue } from './shapes';

export class RawJson {
  constructor(readonly text: string) {}

  /** A JSON array whose elements are already-serialized JSON values. */
  static array(elements: readonly string[]): RawJson {
    return new RawJson(`[${elements.join(',')}]`);
  }

  /** The value, for serializers that cannot splice text. */
  value(): JsonValue {
    return JSON.parse(this.text) as JsonValue;
  }
}

export function isRawJson(v: unknown): v is RawJson {
  return v instanceof RawJson;
}
