// The subset of sodium-native (v5) Conflux uses, typed. The package ships no declarations.
declare module "sodium-native" {
  type Buf = Buffer | Uint8Array;
  const sodium: {
    crypto_sign_BYTES: number;
    crypto_sign_SEEDBYTES: number;
    crypto_sign_PUBLICKEYBYTES: number;
    crypto_sign_SECRETKEYBYTES: number;
    crypto_sign_keypair(pk: Buf, sk: Buf): void;
    crypto_sign_seed_keypair(pk: Buf, sk: Buf, seed: Buf): void;
    crypto_sign_detached(sig: Buf, message: Buf, sk: Buf): void;
    crypto_sign_verify_detached(sig: Buf, message: Buf, pk: Buf): boolean;
    crypto_sign_ed25519_sk_to_pk(pk: Buf, sk: Buf): void;
    crypto_hash_sha256_BYTES: number;
    crypto_hash_sha256(out: Buf, input: Buf): void;
    crypto_generichash_BYTES_MIN: number;
    crypto_generichash(out: Buf, input: Buf, key?: Buf): void;
    crypto_shorthash_BYTES: number;
    crypto_shorthash_KEYBYTES: number;
    crypto_shorthash(out: Buf, input: Buf, key: Buf): void;
    crypto_pwhash_STRBYTES: number;
    crypto_pwhash_OPSLIMIT_INTERACTIVE: number;
    crypto_pwhash_MEMLIMIT_INTERACTIVE: number;
    crypto_pwhash_OPSLIMIT_MODERATE: number;
    crypto_pwhash_MEMLIMIT_MODERATE: number;
    crypto_pwhash_ALG_ARGON2ID13: number;
    crypto_pwhash_str(out: Buf, password: Buf, opslimit: number, memlimit: number): void;
    crypto_pwhash_str_verify(str: Buf, password: Buf): boolean;
    crypto_pwhash_str_needs_rehash(str: Buf, opslimit: number, memlimit: number): boolean;
    randombytes_buf(out: Buf): void;
    sodium_malloc(size: number): Buffer;
    sodium_memzero(buf: Buf): void;
  };
  export default sodium;
}
