/**
 * Self-signed TLS certificate for the federation listener, generated on first start.
 *
 * Server-server API "TLS": federation is HTTPS only, and when a server name is an IP literal
 * the peer "must present a valid certificate for the IP address" ("Resolving server names",
 * step 1), so the subjectAltName carries an iPAddress entry for IP literals and a dNSName
 * otherwise; 127.0.0.1, ::1 and localhost are added for local testing. Peers only accept a
 * self-signed certificate when their operator trusts it (`federation.trusted_ca_paths`) or
 * disables verification; production deployments put a CA-issued certificate at the same paths.
 *
 * The X.509 v3 structure (RFC 5280 §4.1) is written with the tiny DER encoder below and signed
 * with ECDSA P-256 / SHA-256 (RFC 5758 §3.2) by node:crypto: no external tools, no new deps.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { isIP } from "node:net";
import { parseServerName } from "../events/ids.js";

export const CERT_VALIDITY_YEARS = 10;

export interface SelfSignedCertificate {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

export interface CertificateOptions {
  /** Start of validity; defaults to now (backdated an hour to tolerate clock skew). */
  readonly now?: Date;
}

/** Generate a key pair and a self-signed certificate covering `serverName`'s host. */
export function generateSelfSignedCertificate(serverName: string, options: CertificateOptions = {}): SelfSignedCertificate {
  const host = hostOf(serverName);
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const spki = publicKey.export({ type: "spki", format: "der" });
  const start = new Date((options.now ?? new Date()).getTime() - 3_600_000);
  const end = new Date(start);
  end.setUTCFullYear(end.getUTCFullYear() + CERT_VALIDITY_YEARS);

  const name = seq(set(seq(oid(OID.commonName), utf8(host.length <= 64 ? host : "conflux"))));
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serialNumber()),
    seq(oid(OID.ecdsaWithSha256)),
    name, // issuer = subject: self-signed
    seq(time(start), time(end)),
    name,
    spki,
    explicit(3, seq(...extensions(host, spki))),
  );
  const signature = sign("sha256", tbs, { key: privateKey, dsaEncoding: "der" });
  const der = seq(tbs, seq(oid(OID.ecdsaWithSha256)), bitString(signature));
  return { certificatePem: pem("CERTIFICATE", der), privateKeyPem: privateKeyPem(privateKey) };
}

export interface EnsuredCertificate {
  readonly created: boolean;
  /** Whether the certificate names the server's host (false for a replaced/foreign cert). */
  readonly coversServerName: boolean;
  readonly validTo: Date;
}

/**
 * Make sure a certificate and key exist at the given paths: generate both when both are
 * missing, refuse when only one is (never overwrite an operator's file), and check an
 * existing certificate parses.
 */
export function ensureCertificate(certificatePath: string, privateKeyPath: string, serverName: string): EnsuredCertificate {
  const haveCert = existsSync(certificatePath);
  const haveKey = existsSync(privateKeyPath);
  if (haveCert !== haveKey) {
    throw new Error(
      `TLS: ${haveCert ? privateKeyPath : certificatePath} is missing but ${haveCert ? certificatePath : privateKeyPath} exists; ` +
        "provide both files or remove both to have a self-signed pair generated",
    );
  }
  let created = false;
  if (!haveCert) {
    const generated = generateSelfSignedCertificate(serverName);
    mkdirSync(dirname(privateKeyPath), { recursive: true, mode: 0o700 });
    mkdirSync(dirname(certificatePath), { recursive: true, mode: 0o700 });
    writeFileSync(privateKeyPath, generated.privateKeyPem, { mode: 0o600, flag: "wx" });
    writeFileSync(certificatePath, generated.certificatePem, { mode: 0o644, flag: "wx" });
    created = true;
  }
  const cert = new X509Certificate(readFileSync(certificatePath));
  return { created, coversServerName: certificateCovers(cert, serverName), validTo: new Date(cert.validTo) };
}

/** Whether `cert` is valid for `serverName`'s host (IP literal or DNS name). */
export function certificateCovers(cert: X509Certificate, serverName: string): boolean {
  const host = hostOf(serverName);
  return isIP(host) ? cert.checkIP(host) !== undefined : cert.checkHost(host) !== undefined;
}

function hostOf(serverName: string): string {
  const parsed = parseServerName(serverName);
  if (!parsed) throw new Error(`not a valid server name: ${serverName}`);
  return parsed.host;
}

function extensions(host: string, spki: Buffer): Buffer[] {
  const names = new Set([host, "127.0.0.1", "::1", "localhost"]);
  const altNames = [...names].map((n) => (isIP(n) ? contextPrimitive(7, ipBytes(n)) : contextPrimitive(2, Buffer.from(n, "ascii"))));
  // The subjectPublicKey BIT STRING is the SPKI's tail: 0x00 unused-bits byte + 65-byte point.
  const keyId = createHash("sha1").update(spki.subarray(spki.length - 65)).digest();
  return [
    extension(OID.basicConstraints, true, seq()), // cA defaults to FALSE
    extension(OID.keyUsage, true, keyUsageDigitalSignature()),
    extension(OID.extKeyUsage, false, seq(oid(OID.serverAuth))),
    extension(OID.subjectKeyIdentifier, false, octets(keyId)),
    // Self-signed: the authority is the subject. Without this, OpenSSL picks an issuer by
    // subject name alone, and every one of our certificates has the same subject, so a client
    // trusting several of them (test federations on 127.0.0.1) only ever tries the first.
    extension(OID.authorityKeyIdentifier, false, seq(contextPrimitive(0, keyId))),
    extension(OID.subjectAltName, false, seq(...altNames)),
  ];
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), BOOLEAN_TRUE, octets(value)) : seq(oid(id), octets(value));
}

function serialNumber(): Buffer {
  // RFC 5280 §4.1.2.2: positive, at most 20 octets; a clear top bit keeps it positive and a
  // non-zero first byte keeps the encoding minimal.
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f || 0x01;
  return serial;
}

function keyUsageDigitalSignature(): Buffer {
  // digitalSignature is bit 0: one content byte 0x80 with 7 unused bits.
  return tlv(0x03, Buffer.from([0x07, 0x80]));
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split(".").map(Number));
  let text = ip;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  if (text.slice(lastColon + 1).includes(".")) {
    // IPv4-mapped/compatible suffix (::ffff:1.2.3.4) fills the last 32 bits.
    tail.push(...text.slice(lastColon + 1).split(".").map(Number));
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head, rest] = text.includes("::") ? text.split("::") : [text, undefined];
  const left = head ? head.split(":") : [];
  const right = rest ? rest.split(":") : [];
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  if (tail.length === 4) Buffer.from(tail).copy(out, 12);
  return out;
}

function pem(label: string, der: Buffer): string {
  const b64 = der.toString("base64").replace(/.{1,64}/g, "$&\n");
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`;
}

function privateKeyPem(key: KeyObject): string {
  // PKCS#8 ("BEGIN PRIVATE KEY") loads in both node:tls and the uWS TLS stack.
  return key.export({ type: "pkcs8", format: "pem" }).toString();
}

// ---- A minimal DER encoder: only what the certificate above needs (X.690 §8, §10). ----

const OID = {
  commonName: "2.5.4.3",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectKeyIdentifier: "2.5.29.14",
  authorityKeyIdentifier: "2.5.29.35",
  subjectAltName: "2.5.29.17",
  serverAuth: "1.3.6.1.5.5.7.3.1",
} as const;

function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length;
  if (length < 0x80) return Buffer.concat([Buffer.from([tag, length]), content]);
  const lenBytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) lenBytes.unshift(n & 0xff);
  return Buffer.concat([Buffer.from([tag, 0x80 | lenBytes.length, ...lenBytes]), content]);
}

function seq(...items: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(items));
}

/** SET OF with a single member (DER would otherwise require sorting the members). */
function set(item: Buffer): Buffer {
  return tlv(0x31, item);
}

function integer(unsignedBigEndian: Buffer): Buffer {
  let bytes = unsignedBigEndian;
  while (bytes.length > 1 && bytes[0] === 0 && bytes[1]! < 0x80) bytes = bytes.subarray(1);
  if (bytes[0]! >= 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(0x02, bytes);
}

function oid(dotted: string): Buffer {
  const arcs = dotted.split(".").map(Number);
  const out: number[] = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const base128: number[] = [arc & 0x7f];
    for (let n = arc >>> 7; n > 0; n >>>= 7) base128.unshift((n & 0x7f) | 0x80);
    out.push(...base128);
  }
  return tlv(0x06, Buffer.from(out));
}

function utf8(text: string): Buffer {
  return tlv(0x0c, Buffer.from(text, "utf8"));
}

function octets(bytes: Buffer): Buffer {
  return tlv(0x04, bytes);
}

function bitString(bytes: Buffer): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([0]), bytes]));
}

const BOOLEAN_TRUE = tlv(0x01, Buffer.from([0xff]));

function explicit(tagNumber: number, content: Buffer): Buffer {
  return tlv(0xa0 | tagNumber, content);
}

function contextPrimitive(tagNumber: number, content: Buffer): Buffer {
  return tlv(0x80 | tagNumber, content);
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
function time(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, "") + "Z";
  const year = date.getUTCFullYear();
  return year >= 1950 && year < 2050 ? tlv(0x17, Buffer.from(digits.slice(2), "ascii")) : tlv(0x18, Buffer.from(digits, "ascii"));
}
