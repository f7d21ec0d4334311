/**
 * The kombu message envelope: every task message, control command, reply and event on the broker.
 *
 * Decoding never executes anything: only JSON bodies are parsed. Pickle, YAML and msgpack bodies are
 * reported as undecodable (their content type is named) so a view can say so instead of guessing.
 */

export interface Envelope {
  headers: Record<string, unknown>;
  properties: Record<string, unknown>;
  contentType: string;
  /** The parsed JSON body. */
  body: unknown;
}

export type DecodeResult = { ok: true; envelope: Envelope } | { ok: false; reason: DecodeFailure; detail: string };

export type DecodeFailure =
  | "too_large"
  | "not_json"
  | "not_an_envelope"
  | "bad_base64"
  | "unsupported_content_type"
  | "bad_body"
  | "too_deep";

export interface DecodeLimits {
  /** Largest raw message accepted, in bytes. Bigger ones are counted and dropped unparsed. */
  maxBytes: number;
  /** Deepest JSON nesting accepted: deeply nested bodies are a cheap way to stall a parser. */
  maxDepth: number;
}

export const defaultDecodeLimits: DecodeLimits = { maxBytes: 8 * 1024 * 1024, maxDepth: 64 };

const JSON_TYPES = new Set(["application/json", "application/x-json", "text/json"]);

export function decodeEnvelope(raw: string | Uint8Array, limits: DecodeLimits = defaultDecodeLimits): DecodeResult {
  // A string's length counts UTF-16 units; the limit is in bytes. (The broker hands over Buffers.)
  const size = typeof raw === "string" && raw.length * 3 > limits.maxBytes ? Buffer.byteLength(raw) : raw.length;
  if (size > limits.maxBytes) return fail("too_large", `message of ${size} bytes exceeds ${limits.maxBytes}`);
  const text = typeof raw === "string" ? raw : Buffer.from(raw).toString("utf8");
  const outer = parseJson(text, limits.maxDepth);
  if (!outer.ok) return fail(outer.reason, `envelope: ${outer.detail}`);
  const env = outer.value;
  if (!isRecord(env) || !("body" in env)) return fail("not_an_envelope", "no body field");
  const headers = isRecord(env.headers) ? env.headers : {};
  const properties = isRecord(env.properties) ? env.properties : {};
  const contentType = typeof env["content-type"] === "string" ? env["content-type"] : "application/json";
  if (!JSON_TYPES.has(contentType.toLowerCase())) {
    return fail("unsupported_content_type", `content type ${contentType} is not decoded`);
  }
  let bodyText: string;
  if (properties.body_encoding === "base64") {
    if (typeof env.body !== "string") return fail("bad_base64", "base64 body is not a string");
    const decoded = decodeBase64(env.body);
    if (decoded === null) return fail("bad_base64", "body is not valid base64");
    bodyText = decoded;
  } else if (typeof env.body === "string") {
    bodyText = env.body;
  } else {
    // Some producers put the JSON object inline rather than as a string.
    return ok(headers, properties, contentType, env.body);
  }
  const body = parseJson(bodyText, limits.maxDepth);
  if (!body.ok) return fail(body.reason === "not_json" ? "bad_body" : body.reason, `body: ${body.detail}`);
  return ok(headers, properties, contentType, body.value);
}

/** Builds an envelope the way kombu does for a JSON body (used for remote-control requests). */
export function encodeEnvelope(
  body: unknown,
  headers: Record<string, unknown>,
  deliveryInfo: { exchange: string; routing_key: string },
  deliveryTag: string,
): string {
  return JSON.stringify({
    body: encodeBase64(JSON.stringify(body)),
    "content-encoding": "utf-8",
    "content-type": "application/json",
    headers,
    properties: {
      delivery_mode: 2,
      delivery_info: deliveryInfo,
      priority: 0,
      body_encoding: "base64",
      delivery_tag: deliveryTag,
    },
  });
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

type JsonResult = { ok: true; value: unknown } | { ok: false; reason: "not_json" | "too_deep"; detail: string };

/** JSON.parse behind a cheap depth pre-check, so hostile nesting is refused before parsing. */
export function parseJson(text: string, maxDepth: number): JsonResult {
  if (exceedsDepth(text, maxDepth)) return { ok: false, reason: "too_deep", detail: `nesting deeper than ${maxDepth}` };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    // Python's json writes float('inf') and nan as bare Infinity/NaN (Celery's default
    // result_backend_max_retries is one): read them as strings rather than lose the message.
    if (/NaN|Infinity/.test(text)) {
      try {
        return { ok: true, value: JSON.parse(quotePythonFloats(text)) };
      } catch {
        /* fall through to the original error */
      }
    }
    return { ok: false, reason: "not_json", detail: (e as Error).message.slice(0, 120) };
  }
}

/** Quotes bare NaN, Infinity and -Infinity outside strings. */
function quotePythonFloats(text: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === "\\") out += text[++i] ?? "";
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    const rest = text.startsWith("-Infinity", i) ? "-Infinity" : text.startsWith("Infinity", i) ? "Infinity" : text.startsWith("NaN", i) ? "NaN" : null;
    if (rest) {
      out += `"${rest}"`;
      i += rest.length - 1;
    } else out += c;
  }
  return out;
}

function exceedsDepth(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > maxDepth) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBase64(s: string): string | null {
  const clean = s.replace(/\s+/g, "");
  if (clean.length % 4 === 1 || !BASE64_RE.test(clean)) return null;
  try {
    return utf8.decode(Buffer.from(clean, "base64"));
  } catch {
    return null; // not UTF-8
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function encodeBase64(s: string): string {
  return Buffer.from(s, "utf8").toString("base64");
}

function ok(headers: Record<string, unknown>, properties: Record<string, unknown>, contentType: string, body: unknown): DecodeResult {
  return { ok: true, envelope: { headers, properties, contentType, body } };
}

function fail(reason: DecodeFailure, detail: string): DecodeResult {
  return { ok: false, reason, detail };
}
