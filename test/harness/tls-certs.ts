/**
 * Test certificates made per run with `openssl`: a CA and a server certificate it signs for
 * 127.0.0.1 and localhost (what a private broker presents), plus, on request, a second CA no
 * server certificate chains to (what a client that trusts the wrong authority holds).
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface ServerCertificates {
  /** PEM of the CA that signed the server certificate. */
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** A self-signed CA in `dir`: `<name>.pem` and `<name>.key`. */
export async function makeCa(dir: string, name: string): Promise<{ certFile: string; keyFile: string }> {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  await openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=celery-panel test ${name}`, "-keyout", keyFile, "-out", certFile);
  return { certFile, keyFile };
}

/** A CA and a server certificate for 127.0.0.1 and localhost signed by it, all in `dir`. */
export async function makeServerCertificates(dir: string): Promise<ServerCertificates> {
  const ca = await makeCa(dir, "ca");
  const keyFile = join(dir, "server.key");
  const csrFile = join(dir, "server.csr");
  const certFile = join(dir, "server.pem");
  const extFile = join(dir, "server.ext");
  await openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", keyFile, "-out", csrFile);
  // Clients check the name they dialled against subjectAltName (Node and Python both ignore the CN).
  writeFileSync(extFile, "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  await openssl(
    "x509",
    "-req",
    "-in",
    csrFile,
    "-CA",
    ca.certFile,
    "-CAkey",
    ca.keyFile,
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    extFile,
    "-out",
    certFile,
  );
  return { caFile: ca.certFile, certFile, keyFile };
}

async function openssl(...args: string[]): Promise<void> {
  try {
    await run("openssl", args);
  } catch (e) {
    throw new Error(`openssl ${args[0]} failed: ${(e as { stderr?: string }).stderr ?? String(e)}`);
  }
}
