/**
 * Key fetching and notary serving between real HTTPS servers on loopback (uWebSockets.js
 * listeners with the real routers, self-signed certificates, IP-literal server names, LMDB in
 * temp dirs, real crypto pools):
 *
 *   A  origin: publishes its keys (counts GET /_matrix/key/v2/server), old key included;
 *      also serves an X-Matrix-authenticated route
 *   D  origin that goes offline half-way
 *   N  notary: /_matrix/key/v2/query backed by its own KeyRing
 *   B  requester with N as notary; also a key server (A fetches B's keys to authenticate B)
 *   F  forger: bad self-signed key responses, and a lying notary
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sodium from "sodium-native";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { defaultConfig, type Config } from "../../src/config.js";
import { CryptoPool } from "../../src/crypto/pool.js";
import { generateSigningKey, retire } from "../../src/crypto/signing-keys.js";
import { generateSelfSignedCertificate } from "../../src/crypto/tls-cert.js";
import { federationAuthenticator } from "../../src/federation/auth/verify-request.js";
import { registerKeyQueryRoutes } from "../../src/federation/keys-query.js";
import { ServerKeyPublisher, type KeyPublisherApp } from "../../src/federation/keys-server.js";
import { encodeBase64 } from "../../src/events/base64.js";
import { checkJsonSignature, signJson, signingKeyFromSeed, type SigningKey } from "../../src/events/signing-json.js";
import type { JsonObject } from "../../src/events/types.js";
import { startListener, type Listener } from "../../src/http/listener.js";
import { json, type FederationAuth } from "../../src/http/request.js";
import { Router } from "../../src/http/router.js";
import { createFederationClient, type FederationClient } from "../../src/outbound/federation-client.js";
import { KeyRing, type NotaryServer } from "../../src/outbound/key-fetcher.js";
import { MAX_KEY_VALIDITY_MS } from "../../src/outbound/key-response.js";
import { Storage } from "../../src/storage/storage.js";
import { request } from "../helpers/http.js";
import { freePort } from "../helpers/server.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

const DAY = 24 * 3_600_000;

interface Node {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly dir: TempDir;
  readonly config: Config;
  readonly key: SigningKey;
  app: KeyPublisherApp;
  /** GET /_matrix/key/v2/server requests served. */
  keyRequests: number;
  listener?: Listener;
}

interface Requester {
  readonly storage: Storage;
  readonly client: FederationClient;
  readonly keyRing: KeyRing;
  readonly dir: TempDir;
}

function newKey(version: string): SigningKey {
  const seed = Buffer.alloc(32);
  sodium.randombytes_buf(seed);
  return signingKeyFromSeed(`ed25519:${version}`, seed);
}

describe("key fetching and notary endpoints between real servers", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  const nodes: Record<"A" | "B" | "D" | "N" | "F", Node> = {} as never;
  let caPaths: string[];
  // One certificate for every node (all are 127.0.0.1:<port>; the certificate names the IP).
  // Separate self-signed certificates from tls-cert.ts all carry the subject CN=127.0.0.1 and
  // no authorityKeyIdentifier, and OpenSSL then only ever tries the first of them as issuer, so
  // a client could trust just one node.
  const sharedCert = generateSelfSignedCertificate("127.0.0.1");
  let verifyPool: CryptoPool;
  let notaryPool: CryptoPool;
  let notaryRing: KeyRing;
  let bRing: Requester;
  const oldKey = newKey("retired");
  const oldExpiredTs = 1_600_000_000_000;
  /** What F's /_matrix/key/v2/server and /_matrix/key/v2/query answer. */
  let forgedServer: JsonObject = {};
  let forgedNotary: JsonObject = { server_keys: [] };

  async function makeNode(name: keyof typeof nodes, overrides: Parameters<typeof defaultConfig>[0] = {}): Promise<Node> {
    const port = await freePort();
    const dir = tempDir(`conflux-keys-${name}-`);
    cleanups.push(() => dir.cleanup());
    const serverName = `127.0.0.1:${port}`;
    writeFileSync(join(dir.path, "tls.crt"), sharedCert.certificatePem);
    writeFileSync(join(dir.path, "tls.key"), sharedCert.privateKeyPem, { mode: 0o600 });
    const config = defaultConfig({ server_name: serverName, data_dir: dir.path, listeners: { federation: { host: "127.0.0.1", port } }, ...overrides });
    const key = generateSigningKey();
    return { name, port, url: `https://${serverName}`, dir, config, key, app: { config, serverName, signingKey: key, oldVerifyKeys: config.old_signing_keys }, keyRequests: 0 };
  }

  /** A requester's client, as the server builds it, trusting every node's certificate. */
  function clientFor(node: Node): FederationClient {
    const config = defaultConfig({ server_name: node.config.server_name, data_dir: node.dir.path, federation: { trusted_ca_paths: caPaths } });
    return createFederationClient(config, node.key);
  }

  function requester(node: Node, notaries: readonly NotaryServer[] = [], opts: { minRefetchIntervalMs?: number } = {}): Requester {
    const dir = tempDir(`conflux-keys-${node.name}-ring-`);
    const storage = Storage.open(dir.path);
    const client = clientFor(node);
    const keyRing = new KeyRing({
      serverName: node.config.server_name,
      signingKey: node.key,
      storage,
      transport: client,
      verifier: verifyPool,
      notaries,
      ...opts,
    });
    cleanups.push(async () => {
      client.close();
      await storage.close();
      dir.cleanup();
    });
    return { storage, client, keyRing, dir };
  }

  async function listen(node: Node, register: (router: Router) => void, publishKeys = true): Promise<void> {
    const router = new Router({ cors: false, defaultBodyLimit: 1 << 20 });
    if (publishKeys) {
      const publisher = new ServerKeyPublisher(node.app);
      router.get("/_matrix/key/v2/server", () => {
        node.keyRequests++;
        return publisher.response();
      });
    }
    register(router);
    node.listener = await startListener(router, {
      name: node.name,
      host: "127.0.0.1",
      port: node.port,
      tls: { certificatePath: node.config.tls.certificate_path, privateKeyPath: node.config.tls.private_key_path },
    });
    cleanups.push(() => node.listener?.close(0));
  }

  /** Plain HTTPS call to a node, trusting all test certificates. */
  function call(node: Node, path: string, options: Parameters<typeof request>[1] = {}) {
    return request(`${node.url}${path}`, { ca: readFileSync(caPaths[0]!), ...options });
  }

  beforeAll(async () => {
    verifyPool = new CryptoPool({ size: 1 });
    cleanups.push(() => verifyPool.close());
    nodes.A = await makeNode("A", { old_signing_keys: { [oldKey.keyId]: retire(oldKey, oldExpiredTs) } });
    for (const n of ["B", "D", "N", "F"] as const) nodes[n] = await makeNode(n);
    caPaths = [nodes.A.config.tls.certificate_path];

    // N: the notary, with its own key ring and an identity pool to sign answers.
    notaryPool = new CryptoPool({ size: 1, identity: { serverName: nodes.N.config.server_name, key: nodes.N.key } });
    cleanups.push(() => notaryPool.close());
    // No refetch interval here: the notary's freshness rules are what the tests look at.
    const nStore = requester(nodes.N, [], { minRefetchIntervalMs: 0 });
    notaryRing = nStore.keyRing;
    await listen(nodes.N, (router) => registerKeyQueryRoutes(router, { ...nodes.N.app, keyRing: notaryRing, pool: notaryPool }));

    // B: requester using N, and a key server so others can authenticate B's requests.
    bRing = requester(nodes.B, [{ serverName: nodes.N.config.server_name }]);
    await listen(nodes.B, () => {});

    // A: origin with an authenticated route; its key ring fetches B's keys on demand.
    const aRing = requester(nodes.A).keyRing;
    await listen(nodes.A, (router) => {
      router.setAuthenticator({ federation: federationAuthenticator({ serverName: nodes.A.config.server_name, keys: aRing, verifier: verifyPool }) });
      router.get("/_matrix/federation/v1/whoami", (req) => json(req.auth), { auth: "federation" });
      router.put("/_matrix/federation/v1/echo/:id", (req) => json({ auth: req.auth, body: req.body }), { auth: "federation" });
    });

    await listen(nodes.D, () => {});

    await listen(
      nodes.F,
      (router) => {
        router.get("/_matrix/key/v2/server", () => {
          nodes.F.keyRequests++;
          return json(forgedServer);
        });
        router.post("/_matrix/key/v2/query", () => json(forgedNotary));
      },
      false,
    );
  });

  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  const name = (n: Node) => n.config.server_name;

  it("fetches a server's keys directly, checks them and files them in LMDB", async () => {
    const A = nodes.A;
    const before = Date.now();
    const keys = await bRing.keyRing.getServerKeys(name(A), [A.key.keyId], before);
    const got = keys.get(A.key.keyId)!;
    expect(Buffer.from(got.key)).toEqual(A.key.publicKey);
    expect(got.expiredTs).toBeUndefined();
    // valid_until_ts = fetch + 1 day (A's default), below the 7-day cap.
    expect(got.validUntilTs).toBeGreaterThanOrEqual(before + DAY);
    expect(got.validUntilTs).toBeLessThan(before + 2 * DAY);
    expect(A.keyRequests).toBe(1);
    const stored = bRing.storage.serverKeys.getKey(name(A), A.key.keyId)!;
    expect(stored.publicKey).toBe(encodeBase64(A.key.publicKey));
    const response = JSON.parse(stored.responseJson) as JsonObject;
    expect(checkJsonSignature(response, name(A), (_s, id) => (id === A.key.keyId ? A.key.publicKey : undefined)).ok).toBe(true);
  });

  it("answers from the cache without network, also after a restart (fresh memory, same LMDB)", async () => {
    const A = nodes.A;
    await bRing.keyRing.getServerKeys(name(A), [A.key.keyId], Date.now());
    await bRing.keyRing.ensureKeys([{ serverName: name(A), keyId: A.key.keyId, minimumValidUntilTs: Date.now() }]);
    expect(A.keyRequests).toBe(1);
    const restarted = new KeyRing({
      serverName: name(nodes.B),
      signingKey: nodes.B.key,
      storage: bRing.storage,
      transport: bRing.client,
      verifier: verifyPool,
    });
    expect(Buffer.from(restarted.lookup(name(A), A.key.keyId)!.key)).toEqual(A.key.publicKey);
    expect(restarted.wireKeys([{ serverName: name(A), keyId: A.key.keyId }])[name(A)]).toHaveProperty(A.key.keyId);
    await restarted.getServerKeys(name(A), [A.key.keyId], Date.now());
    expect(A.keyRequests).toBe(1);
  });

  it("knows old_verify_keys with their expiry, only for older events", async () => {
    const old = (await bRing.keyRing.getServerKeys(name(nodes.A), [oldKey.keyId], oldExpiredTs - 1)).get(oldKey.keyId)!;
    expect(Buffer.from(old.key)).toEqual(oldKey.publicKey);
    expect(old.expiredTs).toBe(oldExpiredTs);
  });

  it("does not ask a server again for the same keys within the refetch interval", async () => {
    const A = nodes.A;
    const before = A.keyRequests;
    // A's keys are valid for a day; wanting two days is unsatisfiable, but B asked A moments ago.
    const keys = await bRing.keyRing.getServerKeys(name(A), [A.key.keyId], Date.now() + 2 * DAY);
    expect(keys.has(A.key.keyId)).toBe(true);
    expect(A.keyRequests).toBe(before);
  });

  it("coalesces concurrent fetches of one server into one request", async () => {
    const A = nodes.A;
    const fresh = requester(nodes.B);
    const before = A.keyRequests;
    const now = Date.now();
    const results = await Promise.all([
      ...Array.from({ length: 20 }, () => fresh.keyRing.getServerKeys(name(A), [A.key.keyId], now)),
      fresh.keyRing.ensureKeys([{ serverName: name(A), keyId: A.key.keyId, minimumValidUntilTs: now }]),
      fresh.keyRing.getServerKeys(name(A), [oldKey.keyId, A.key.keyId], 0),
    ]);
    expect(A.keyRequests - before).toBe(1);
    expect(results.slice(0, 20).every((m) => (m as Map<string, unknown>).has(A.key.keyId))).toBe(true);
  });

  it("authenticates a signed request end to end: A fetches B's key, then verifies B's signature", async () => {
    const A = nodes.A;
    const who = await bRing.client.get<FederationAuth>(name(A), "/_matrix/federation/v1/whoami");
    expect(who).toEqual({ origin: name(nodes.B), destination: name(A), keyId: nodes.B.key.keyId });
    const echoed = await bRing.client.put<{ auth: FederationAuth; body: unknown }>(name(A), "/_matrix/federation/v1/echo/a%2Fb?x=1", { hello: ["world", 1] });
    expect(echoed).toEqual({ auth: who, body: { hello: ["world", 1] } });
  });

  it("rejects with 401 M_UNAUTHORIZED a valid signature replayed on another path, and a missing header", async () => {
    const A = nodes.A;
    const { signRequest } = await import("../../src/federation/auth/request-json.js");
    const signed = signRequest({ method: "GET", uri: "/_matrix/federation/v1/whoami", origin: name(nodes.B), destination: name(A) }, nodes.B.key);
    const replay = await call(A, "/_matrix/federation/v1/whoami?x=1", { headers: { authorization: signed.authorization } });
    expect(replay.status).toBe(401);
    expect(replay.json()).toMatchObject({ errcode: "M_UNAUTHORIZED" });
    const genuine = await call(A, "/_matrix/federation/v1/whoami", { headers: { authorization: signed.authorization } });
    expect(genuine.status).toBe(200);
    expect((await call(A, "/_matrix/federation/v1/whoami")).status).toBe(401);
  });

  it("notary: GET and POST /_matrix/key/v2/query return the origin's response with both signatures", async () => {
    const A = nodes.A;
    const N = nodes.N;
    for (const res of [
      await call(N, `/_matrix/key/v2/query/${encodeURIComponent(name(A))}`),
      await call(N, "/_matrix/key/v2/query", { method: "POST", body: { server_keys: { [name(A)]: { [A.key.keyId]: { minimum_valid_until_ts: Date.now() } } } } }),
    ]) {
      expect(res.status).toBe(200);
      expect(res.headers["content-type"]).toBe("application/json");
      const list = res.json<{ server_keys: JsonObject[] }>().server_keys;
      expect(list).toHaveLength(1);
      const r = list[0]!;
      expect(r.server_name).toBe(name(A));
      expect(Object.keys(r.signatures as object).sort()).toEqual([name(A), name(N)].sort());
      expect(checkJsonSignature(r, name(A), (_s, id) => (id === A.key.keyId ? A.key.publicKey : undefined)).ok).toBe(true);
      expect(checkJsonSignature(r, name(N), (_s, id) => (id === N.key.keyId ? N.key.publicKey : undefined)).ok).toBe(true);
    }
  });

  it("notary: uses its cache while fresh (no minimum = now), refreshes when a later minimum is asked", async () => {
    const A = nodes.A;
    const N = nodes.N;
    const before = A.keyRequests;
    await call(N, `/_matrix/key/v2/query/${encodeURIComponent(name(A))}`);
    expect(A.keyRequests).toBe(before);
    // A's responses are valid for a day: asking for two days makes the notary go back to A.
    await call(N, `/_matrix/key/v2/query/${encodeURIComponent(name(A))}?minimum_valid_until_ts=${Date.now() + 2 * DAY}`);
    expect(A.keyRequests).toBe(before + 1);
  });

  it("notary: empty and malformed queries", async () => {
    const N = nodes.N;
    const empty = await call(N, "/_matrix/key/v2/query", { method: "POST", body: "" });
    expect(empty.status).toBe(200);
    expect(empty.json()).toEqual({ server_keys: [] });
    expect((await call(N, "/_matrix/key/v2/query", { method: "POST", body: { server_keys: {} } })).json()).toEqual({ server_keys: [] });
    expect((await call(N, "/_matrix/key/v2/query", { method: "POST", body: { server_keys: [] } })).json()).toMatchObject({ errcode: "M_BAD_JSON" });
    const badMin = await call(N, `/_matrix/key/v2/query/${encodeURIComponent(name(nodes.A))}?minimum_valid_until_ts=soon`);
    expect(badMin.status).toBe(400);
    expect(badMin.json()).toMatchObject({ errcode: "M_INVALID_PARAM" });
  });

  it("notary: leaves out servers it cannot reach and knows nothing about, and malformed names", async () => {
    const res = await call(nodes.N, "/_matrix/key/v2/query", { method: "POST", body: { server_keys: { "127.0.0.1:1": {}, "not a name": {} } } });
    expect(res.json()).toEqual({ server_keys: [] });
  });

  it("notary: answers for itself with its own key response", async () => {
    const N = nodes.N;
    const list = (await call(N, `/_matrix/key/v2/query/${encodeURIComponent(name(N))}`)).json<{ server_keys: JsonObject[] }>().server_keys;
    expect(list).toHaveLength(1);
    expect(list[0]!.verify_keys).toEqual({ [N.key.keyId]: { key: encodeBase64(N.key.publicKey) } });
    expect(checkJsonSignature(list[0]!, name(N), (_s, id) => (id === N.key.keyId ? N.key.publicKey : undefined)).ok).toBe(true);
  });

  it("falls back to the notary when the origin is down; the notary serves its cached copy", async () => {
    const D = nodes.D;
    const N = nodes.N;
    // N learns D's keys while D is up, then D goes away.
    expect((await call(N, `/_matrix/key/v2/query/${encodeURIComponent(name(D))}`)).json<{ server_keys: unknown[] }>().server_keys).toHaveLength(1);
    await D.listener!.close(0);
    expect(D.keyRequests).toBe(1);

    // Even when asked for more validity than it has, N serves what it holds for an offline origin.
    const stale = await call(N, `/_matrix/key/v2/query/${encodeURIComponent(name(D))}?minimum_valid_until_ts=${Date.now() + 30 * DAY}`);
    expect(stale.json<{ server_keys: unknown[] }>().server_keys).toHaveLength(1);

    const viaNotary = requester(nodes.B, [{ serverName: name(N), verifyKeys: { [N.key.keyId]: encodeBase64(N.key.publicKey) } }]);
    const keys = await viaNotary.keyRing.getServerKeys(name(D), [D.key.keyId], Date.now());
    expect(Buffer.from(keys.get(D.key.keyId)!.key)).toEqual(D.key.publicKey);
    const stored = JSON.parse(viaNotary.storage.serverKeys.getKey(name(D), D.key.keyId)!.responseJson) as JsonObject;
    expect(Object.keys(stored.signatures as object).sort()).toEqual([name(D), name(N)].sort());

    // B was told about N without its keys: it fetches them from N first, then accepts the answer.
    const tofu = await bRing.keyRing.getServerKeys(name(D), [D.key.keyId], Date.now());
    expect(tofu.has(D.key.keyId)).toBe(true);
    expect(bRing.storage.serverKeys.getKey(name(N), N.key.keyId)).toBeDefined();
  });

  it("rejects forged key responses: wrong server_name, unsigned by its verify_keys, tampered after signing", async () => {
    const F = nodes.F;
    const attacker = newKey("evil");
    const base: JsonObject = {
      server_name: name(F),
      verify_keys: { [F.key.keyId]: { key: encodeBase64(F.key.publicKey) } },
      old_verify_keys: {},
      valid_until_ts: Date.now() + DAY,
    };
    const variants: JsonObject[] = [
      signJson({ ...base, server_name: "elsewhere.example" }, name(F), F.key),
      signJson(base, name(F), attacker), // signed, but not by a key it publishes
      { ...signJson(base, name(F), F.key), valid_until_ts: Date.now() + 5 * DAY }, // changed after signing
      { ...base, signatures: {} },
    ];
    for (const forged of variants) {
      forgedServer = forged;
      const ring = requester(nodes.B);
      expect((await ring.keyRing.getServerKeys(name(F), [F.key.keyId, attacker.keyId], Date.now())).size).toBe(0);
      expect(ring.storage.serverKeys.getKeys(name(F))).toEqual([]);
    }
    // The genuine self-signed response is accepted, which shows the checks above were the reason.
    forgedServer = signJson(base, name(F), F.key);
    expect((await requester(nodes.B).keyRing.getServerKeys(name(F), [F.key.keyId], Date.now())).has(F.key.keyId)).toBe(true);
  });

  it("caps validity at fetch time + 7 days, whatever valid_until_ts says", async () => {
    const F = nodes.F;
    forgedServer = signJson(
      { server_name: name(F), verify_keys: { [F.key.keyId]: { key: encodeBase64(F.key.publicKey) } }, valid_until_ts: Date.now() + 365 * DAY },
      name(F),
      F.key,
    );
    const capped = requester(nodes.B).keyRing;
    const before = Date.now();
    const key = (await capped.getServerKeys(name(F), [F.key.keyId], before)).get(F.key.keyId)!;
    expect(key.validUntilTs).toBeGreaterThanOrEqual(before + MAX_KEY_VALIDITY_MS);
    expect(key.validUntilTs).toBeLessThanOrEqual(Date.now() + MAX_KEY_VALIDITY_MS);
  });

  it("rejects a notary's answer unless both the notary's and the origin's signatures verify", async () => {
    const D = nodes.D; // offline: only the (lying) notary F can answer
    const F = nodes.F;
    // D's genuine response (origin signature only), from N's cache.
    const [genuine] = await notaryRing.notaryResponses(name(D), new Map(), 0);
    if (!genuine) throw new Error("the notary should hold D's keys by now");
    expect(genuine.server_name).toBe(name(D));
    const swapped = { ...genuine, verify_keys: { [D.key.keyId]: { key: encodeBase64(newKey("x").publicKey) } } };
    const cases: JsonObject[] = [
      signJson(genuine, name(F), newKey(F.key.keyId.slice("ed25519:".length))), // notary signature by the wrong key
      signJson(swapped, name(F), F.key), // notary vouches, but the origin never signed this key
      genuine, // no notary signature at all
    ];
    for (const answer of cases) {
      forgedNotary = { server_keys: [answer] };
      const ring = requester(nodes.B, [{ serverName: name(F), verifyKeys: { [F.key.keyId]: encodeBase64(F.key.publicKey) } }]);
      const keys = await ring.keyRing.getServerKeys(name(D), [D.key.keyId], Date.now());
      expect(keys.size).toBe(0);
      expect(ring.storage.serverKeys.getKeys(name(D))).toEqual([]);
    }
    forgedNotary = { server_keys: [signJson(genuine, name(F), F.key)] };
    const ring = requester(nodes.B, [{ serverName: name(F), verifyKeys: { [F.key.keyId]: encodeBase64(F.key.publicKey) } }]);
    expect((await ring.keyRing.getServerKeys(name(D), [D.key.keyId], Date.now())).has(D.key.keyId)).toBe(true);
  });

  it("backs off from a server whose key fetch failed instead of asking again at once", async () => {
    const F = nodes.F;
    forgedServer = { server_name: name(F) }; // invalid: no keys, no signatures
    const ring = requester(nodes.B, [], { minRefetchIntervalMs: 0 });
    const before = F.keyRequests;
    expect((await ring.keyRing.getServerKeys(name(F), [F.key.keyId], Date.now())).size).toBe(0);
    expect(F.keyRequests).toBe(before + 1);
    expect((await ring.keyRing.getServerKeys(name(F), [F.key.keyId], Date.now())).size).toBe(0);
    expect(F.keyRequests).toBe(before + 1);
  });
});
