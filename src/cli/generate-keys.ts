/**
 * `conflux generate-keys`: create the signing key and TLS certificate named by the
 * configuration if missing; with --force replace them (printing the `old_signing_keys` entry
 * that keeps the retired key verifiable).
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { stringify } from "yaml";
import { generateSigningKey, loadSigningKey, retire, saveSigningKey } from "../crypto/signing-keys.js";
import { ensureCertificate } from "../crypto/tls-cert.js";
import { CONFIG_OPTION, DEFAULT_CONFIG_PATH, out, parseOptions, stringOption, type Command } from "./command.js";
import { resolveConfig } from "./config-file.js";

export const generateKeysCommand: Command = {
  name: "generate-keys",
  summary: "Create the signing key and TLS certificate",
  usage: `Usage: conflux generate-keys [--config FILE] [--force]

Creates signing_key_path and the tls files from the configuration when they are missing.

  -c, --config FILE   Configuration file (default ${DEFAULT_CONFIG_PATH}, else built-in defaults)
  --force             Replace existing files. The old signing key's public half is printed
                      as an old_signing_keys entry: add it to the configuration so events
                      signed with it stay verifiable.
`,
  async run(args) {
    const values = parseOptions(args, { ...CONFIG_OPTION, force: { type: "boolean" } });
    if (!values) {
      out(this.usage);
      return 0;
    }
    const { config } = resolveConfig(stringOption(values, "config"), false);
    const force = values.force === true;
    mkdirSync(config.data_dir, { recursive: true, mode: 0o700 });

    const keyPath = config.signing_key_path;
    if (existsSync(keyPath) && !force) {
      out(`signing key: kept ${keyPath} (${loadSigningKey(keyPath).keyId})`);
    } else {
      const previous = existsSync(keyPath) ? loadSigningKey(keyPath) : undefined;
      let key = generateSigningKey();
      while (key.keyId === previous?.keyId || key.keyId in config.old_signing_keys) key = generateSigningKey();
      saveSigningKey(keyPath, key);
      out(`signing key: wrote ${keyPath} (${key.keyId})`);
      if (previous) {
        out("Add the retired key to the configuration:");
        out(stringify({ old_signing_keys: { ...config.old_signing_keys, [previous.keyId]: retire(previous) } }));
      }
    }

    const { certificate_path: cert, private_key_path: privateKey } = config.tls;
    if (force) {
      rmSync(cert, { force: true });
      rmSync(privateKey, { force: true });
    }
    const ensured = ensureCertificate(cert, privateKey, config.server_name);
    out(`tls certificate: ${ensured.created ? "wrote" : "kept"} ${cert} (valid until ${ensured.validTo.toISOString()})`);
    return 0;
  },
};
