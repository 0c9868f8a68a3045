/**
 * Loads the spec's example PDUs (test/vectors/spec-examples/, copied from the spec) and
 * resolves their `$ref` and `allOf` the way the spec renderer does: a `$ref` object is the
 * referenced file with the object's other keys laid over it; `allOf` merges its parts in order.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const SPEC_EXAMPLES_DIR = join(dirname(fileURLToPath(import.meta.url)), "../../vectors/spec-examples");

export function loadSpecExample(name: string): Record<string, unknown> {
  return resolve(join(SPEC_EXAMPLES_DIR, name));
}

function resolve(file: string): Record<string, unknown> {
  const json = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  return resolveNode(json, dirname(file));
}

function resolveNode(node: Record<string, unknown>, base: string): Record<string, unknown> {
  let out: Record<string, unknown> = {};
  const { $ref, allOf, ...rest } = node;
  if (typeof $ref === "string") out = { ...out, ...resolve(join(base, $ref)) };
  if (Array.isArray(allOf)) {
    for (const part of allOf as Record<string, unknown>[]) out = { ...out, ...resolveNode(part, base) };
  }
  return { ...out, ...rest };
}
