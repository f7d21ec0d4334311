/**
 * amqps:// as kombu's ssl_* URL options ask for it: the socket options amqplib hands to
 * tls.connect, and what a failed handshake means in words a user can act on (Node's own messages,
 * "self-signed certificate in certificate chain", say neither that the broker was not trusted nor
 * what to change), including a scheme that does not match the port (amqps:// to a plain listener,
 * amqp:// to a TLS one).
 */
import { readFileSync } from "node:fs";
import { BrokerUnavailable } from "../transport";
import type { AmqpTarget } from "./url";

/** tls.connect options for the target (none for plain amqp://); an unreadable file is BrokerUnavailable naming it. */
export function tlsSocketOptions(t: AmqpTarget): Record<string, unknown> {
  if (!t.tls) return {};
  const read = (what: string, path: string | null) => {
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (e) {
      throw new BrokerUnavailable(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  return {
    ca: read("ssl_ca_certs", t.caFile),
    cert: read("ssl_certfile", t.certFile),
    key: read("ssl_keyfile", t.keyFile),
    // A client with CERT_OPTIONAL verifies like CERT_REQUIRED in Python's ssl (the server always sends one).
    rejectUnauthorized: t.tlsVerify !== "none",
  };
}

/** OpenSSL's verification failures as Node codes them, and Node's own host name check. */
const UNTRUSTED = /^(UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO_SELF_SIGNED|CERT_|ERR_TLS_CERT_ALTNAME|HOSTNAME_MISMATCH)/;

/**
 * What a failure to open a connection to this target means when TLS is the cause (or may be), or
 * null. A certificate not trusted is a setting to change: the caller retries it slowly, as a refused login.
 */
export function explainTlsError(e: unknown, t: AmqpTarget): { text: string; untrusted: boolean } | null {
  const err = (e ?? {}) as { code?: unknown; reason?: unknown; message?: unknown };
  const code = String(err.code ?? "");
  // OpenSSL's errors carry a short `reason` ("wrong version number") beside a message of internals.
  const reason = String(err.reason ?? err.message ?? e);
  if (!t.tls) {
    // A TLS listener drops a plain AMQP header unanswered: amqplib sees the socket closed, or reset.
    if (code === "ECONNRESET" || /closed abruptly during opening handshake/.test(reason))
      return { text: `${reason}: if this port is the broker's TLS listener, use amqps://`, untrusted: false };
    return null;
  }
  if (UNTRUSTED.test(code)) {
    const trusting = t.caFile ? `the CA in ssl_ca_certs=${t.caFile}` : "the system's CAs (no ssl_ca_certs given)";
    return {
      text: `the broker's TLS certificate was not trusted (${reason}) by ${trusting}: give the CA that signed it with ssl_ca_certs=<file>, or skip the check with ssl_cert_reqs=CERT_NONE`,
      untrusted: true,
    };
  }
  if (code === "ERR_SSL_WRONG_VERSION_NUMBER") {
    return {
      text: `no TLS handshake on this port (${reason}): amqps:// needs the broker's TLS listener (5671 by default); amqp:// is for its plain one`,
      untrusted: false,
    };
  }
  return null;
}
