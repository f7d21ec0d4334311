/**
 * Messages of a broker that carries kombu's properties natively (AMQP): the body is the raw
 * serialized payload and the content type and encoding are message properties, not an envelope.
 * Decoded with the same rules as envelope.ts: JSON only, within the same limits; pickle, YAML and
 * msgpack are rejected by reason, never deserialized.
 */
import { isJsonContentType, isRecord, parseJson, type BodyResult, type DecodeLimits, type DecodeResult, type Envelope } from "./envelope";

export interface NativeMessage {
  body: Buffer;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  headers: Record<string, unknown> | undefined;
  /** The rest of the message's properties (delivery info, reply_to...), as the envelope keeps them. */
  properties?: Record<string, unknown>;
}

const TEXT_ENCODINGS = new Set(["utf-8", "utf8", "us-ascii", "ascii"]);

export function decodeNativeBody(m: NativeMessage, limits: DecodeLimits): BodyResult {
  if (m.body.length > limits.maxBytes) return { ok: false, reason: "too_large", detail: `message of ${m.body.length} bytes exceeds ${limits.maxBytes}` };
  // kombu always sets the content type; a message without one is not kombu's and is read as JSON if it can be.
  const contentType = m.contentType ?? "application/json";
  if (!isJsonContentType(contentType)) return { ok: false, reason: "unsupported_content_type", detail: `content type ${contentType} is not decoded` };
  const encoding = (m.contentEncoding ?? "utf-8").toLowerCase();
  if (!TEXT_ENCODINGS.has(encoding)) return { ok: false, reason: "unsupported_content_encoding", detail: `content encoding ${encoding} is not decoded` };
  let text: string;
  try {
    text = utf8.decode(m.body);
  } catch {
    return { ok: false, reason: "bad_body", detail: "body is not UTF-8" };
  }
  const parsed = parseJson(text, limits.maxDepth);
  if (!parsed.ok) return { ok: false, reason: parsed.reason === "not_json" ? "bad_body" : parsed.reason, detail: `body: ${parsed.detail}` };
  return { ok: true, body: parsed.value };
}

/** The message as the Envelope the transport-neutral readers (control replies) take. */
export function decodeNativeEnvelope(m: NativeMessage, limits: DecodeLimits): DecodeResult {
  const body = decodeNativeBody(m, limits);
  if (!body.ok) return body;
  const headers = isRecord(m.headers) ? m.headers : {};
  const envelope: Envelope = { headers, properties: m.properties ?? {}, contentType: m.contentType ?? "application/json", body: body.body };
  return { ok: true, envelope };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
