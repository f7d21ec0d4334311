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
  | "unsupported_content_encoding"
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

/** The content types decoded (JSON); any other (pickle, YAML, msgpack) is named and left alone. */
export function isJsonContentType(contentType: string): boolean {
  return JSON_TYPES.has(contentType.toLowerCase());
}

export function decodeEnvelope(raw: string | Uint8Array, limits: DecodeLimits = defaultDecodeLimits): DecodeResult {
  // A string's length counts UTF-16 units; the limit is in bytes. (The broker hands over Buffers.)
  const size = typeof raw === "string" && raw.length * 3 > limits.maxBytes ? Buffer.byteLength(raw) : raw.length;
  if (size > limits.maxBytes) return fail("too_large", `message of ${size} bytes exceeds ${limits.maxBytes}`);
  // A view, not a copy: the broker hands over Buffers already.
  const buf = typeof raw === "string" ? null : Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const split = buf ? splitBody(buf) : null;
  const outer = parseJson(split ? split.outer : typeof raw === "string" ? raw : buf!.toString("utf8"), limits.maxDepth);
  if (!outer.ok) return fail(outer.reason, `envelope: ${outer.detail}`);
  const env = outer.value;
  if (!isRecord(env) || !("body" in env)) return fail("not_an_envelope", "no body field");
  // base64 is ASCII (latin1 reads it fastest; atob refuses anything else); an inline string is UTF-8.
  if (split) env.body = buf!.toString(isRecord(env.properties) && env.properties.body_encoding === "base64" ? "latin1" : "utf8", split.start, split.end);
  const headers = isRecord(env.headers) ? env.headers : {};
  const properties = isRecord(env.properties) ? env.properties : {};
  const contentType = typeof env["content-type"] === "string" ? env["content-type"] : "application/json";
  if (!isJsonContentType(contentType)) {
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

const BODY_HEAD = Buffer.from('{"body": "');

/**
 * kombu writes the body first: `{"body": "<base64>", ...}`. The body is most of the message, and
 * parsing it as part of the envelope would copy it twice (bytes to text, text to a JSON string)
 * before base64 decoding reads it a third time. When the message has that shape, and the body
 * string has no escapes (base64 never does) and no second "body" key follows, the body is cut out
 * of the bytes and the rest parsed alone: the same result, at a fraction of the work. Any other
 * shape takes the plain path.
 */
function splitBody(buf: Buffer): { outer: string; start: number; end: number } | null {
  const n = BODY_HEAD.length;
  if (buf.length <= n) return null;
  for (let i = 0; i < n; i++) if (buf[i] !== BODY_HEAD[i]) return null;
  const end = buf.indexOf(0x22, n); // the closing quote
  if (end < 0) return null;
  const escape = buf.indexOf(0x5c, n);
  if (escape !== -1 && escape < end) return null; // an escape inside: not a plain base64 string
  const rest = buf.toString("utf8", end + 1);
  if (rest.includes('"body"')) return null;
  return { outer: `{"body": ""${rest}`, start: n, end };
}

const TAG_KEY = Buffer.from('"delivery_tag": "');
const SHAPES = 64;

export type BodyResult = { ok: true; body: unknown } | { ok: false; reason: DecodeFailure; detail: string };

/**
 * Decodes just the bodies of a stream of envelopes (the event stream: the agent needs nothing else
 * of them). A worker's event envelopes are byte for byte the same around the body but for the
 * delivery tag, so after the first one is decoded in full (decodeEnvelope), the next ones that
 * match it byte for byte (memcmp) are known to have the same content type and body encoding, and
 * only their body is decoded. Anything that does not match takes the full path.
 */
export class BodyDecoder {
  private readonly shapes: { head: Buffer; tail: Buffer; base64: boolean }[] = [];

  constructor(private readonly limits: DecodeLimits = defaultDecodeLimits) {}

  decode(raw: Buffer): BodyResult {
    const hit = raw.length <= this.limits.maxBytes ? this.match(raw) : null;
    if (hit) {
      let text: string | null = raw.toString(hit.base64 ? "latin1" : "utf8", BODY_HEAD.length, hit.end);
      if (hit.base64 && (text = decodeBase64(text)) === null) return { ok: false, reason: "bad_base64", detail: "body is not valid base64" };
      const body = parseJson(text, this.limits.maxDepth);
      if (!body.ok) return { ok: false, reason: body.reason === "not_json" ? "bad_body" : body.reason, detail: `body: ${body.detail}` };
      return { ok: true, body: body.value };
    }
    const d = decodeEnvelope(raw, this.limits);
    if (!d.ok) return { ok: false, reason: d.reason, detail: d.detail };
    this.learn(raw, d.envelope);
    return { ok: true, body: d.envelope.body };
  }

  /** Where the body ends and the delivery tag sits, when the message has kombu's layout. */
  private regions(raw: Buffer): { end: number; tagStart: number; tagEnd: number } | null {
    const n = BODY_HEAD.length;
    if (raw.length <= n) return null;
    for (let i = 0; i < n; i++) if (raw[i] !== BODY_HEAD[i]) return null;
    const end = raw.indexOf(0x22, n);
    if (end < 0) return null;
    const escape = raw.indexOf(0x5c, n);
    if (escape !== -1 && escape < end) return null;
    const t = raw.indexOf(TAG_KEY, end + 1);
    if (t < 0) return null;
    const tagStart = t + TAG_KEY.length;
    const tagEnd = raw.indexOf(0x22, tagStart);
    if (tagEnd < 0 || tagEnd - tagStart > 128) return null;
    // A plain string: printable ASCII, no escapes (so any such tag leaves the JSON as valid as it was).
    for (let i = tagStart; i < tagEnd; i++) if (raw[i]! < 0x20 || raw[i]! > 0x7e || raw[i] === 0x5c) return null;
    return { end, tagStart, tagEnd };
  }

  private match(raw: Buffer): { end: number; base64: boolean } | null {
    if (!this.shapes.length) return null;
    const r = this.regions(raw);
    if (!r) return null;
    const headLen = r.tagStart - r.end;
    const tailLen = raw.length - r.tagEnd;
    for (const s of this.shapes) {
      if (s.head.length !== headLen || s.tail.length !== tailLen) continue;
      if (raw.compare(s.head, 0, headLen, r.end, r.tagStart) === 0 && raw.compare(s.tail, 0, tailLen, r.tagEnd) === 0) return { end: r.end, base64: s.base64 };
    }
    return null;
  }

  /** Remembers the bytes around the body and the tag of an envelope that decoded in full. */
  private learn(raw: Buffer, env: Envelope): void {
    const r = this.regions(raw);
    if (!r) return;
    const base64 = env.properties.body_encoding === "base64";
    if (!base64 && env.properties.body_encoding !== undefined) return;
    if (this.shapes.length >= SHAPES) this.shapes.shift();
    this.shapes.push({ head: Buffer.from(raw.subarray(r.end, r.tagStart)), tail: Buffer.from(raw.subarray(r.tagEnd)), base64 });
  }
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
  // Nesting cannot exceed the number of openers: most messages have a handful, counted with native
  // searches instead of a loop over every character.
  let openers = 0;
  for (let i = text.indexOf("{"); i !== -1 && openers <= maxDepth; i = text.indexOf("{", i + 1)) openers++;
  for (let i = text.indexOf("["); i !== -1 && openers <= maxDepth; i = text.indexOf("[", i + 1)) openers++;
  if (openers <= maxDepth) return false;
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

function decodeBase64(s: string): string | null {
  let binary: string;
  try {
    // atob is the forgiving base64 of the web platform, native in Node: ASCII whitespace is
    // skipped, padding may be missing, any other character (and a 4n+1 length) is refused.
    binary = atob(s);
  } catch {
    return null;
  }
  // Plain ASCII (kombu's JSON is: ensure_ascii) is already the text; anything else must be UTF-8.
  if (!NON_ASCII.test(binary)) return binary;
  try {
    return utf8.decode(Buffer.from(binary, "latin1"));
  } catch {
    return null; // not UTF-8
  }
}

const NON_ASCII = /[^\x00-\x7f]/;

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
