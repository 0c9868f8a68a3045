/**
 * GET /_matrix/key/v2/server (server-server API "Publishing Keys", keys_server.yaml,
 * definitions/keys.yaml).
 *
 * The body is signed by our own active key, lists that key in `verify_keys` and retired keys
 * in `old_verify_keys`, and is valid until now + `signing_key_validity_ms`. Signing costs an
 * ed25519 signature, so the signed bytes are cached and re-signed once half the validity has
 * passed: peers caching for "half of its lifetime" (as the spec tells notaries to) never hold
 * a response that expires under them, and we never serve one that expires in under an hour.
 */
import type { App, RouteRegistrar } from "../app.js";
import { encodeBase64 } from "../events/base64.js";
import { canonicalJsonBytes } from "../events/canonical-json.js";
import { signJson } from "../events/signing-json.js";
import type { JsonObject } from "../events/types.js";
import { bytes, type BytesResponse } from "../http/request.js";

/** What publishing our keys needs from the App. */
export type KeyPublisherApp = Pick<App, "config" | "serverName" | "signingKey" | "oldVerifyKeys">;

export class ServerKeyPublisher {
  private cached: BytesResponse | undefined;
  private refreshAt = 0;

  constructor(
    private readonly app: KeyPublisherApp,
    private readonly now: () => number = Date.now,
  ) {}

  /** The signed key object as served. */
  build(now: number): JsonObject {
    const { app } = this;
    const key = app.signingKey;
    const old: JsonObject = {};
    for (const [keyId, entry] of Object.entries(app.oldVerifyKeys)) {
      // The active key can only be a verify key; listing it as old too would contradict.
      if (keyId !== key.keyId) old[keyId] = { key: entry.key, expired_ts: entry.expired_ts };
    }
    const unsigned: JsonObject = {
      server_name: app.serverName,
      verify_keys: { [key.keyId]: { key: encodeBase64(key.publicKey) } },
      old_verify_keys: old,
      valid_until_ts: now + app.config.signing_key_validity_ms,
    };
    return signJson(unsigned, app.serverName, key);
  }

  response(): BytesResponse {
    const now = this.now();
    if (this.cached === undefined || now >= this.refreshAt) {
      this.cached = bytes(canonicalJsonBytes(this.build(now)), "application/json");
      this.refreshAt = now + this.app.config.signing_key_validity_ms / 2;
    }
    return this.cached;
  }
}

export const registerKeyServerRoutes: RouteRegistrar = (router, app) => {
  const publisher = new ServerKeyPublisher(app);
  router.get("/_matrix/key/v2/server", () => publisher.response());
};
