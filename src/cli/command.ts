/**
 * The shape of a CLI sub-command and the argument parsing they share (node:util parseArgs,
 * strict: unknown options are usage errors, exit code 2).
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

export interface Command {
  readonly name: string;
  /** One line for `conflux --help`. */
  readonly summary: string;
  /** Full text for `conflux <name> --help`. */
  readonly usage: string;
  /** Returns the process exit code. */
  run(args: string[]): Promise<number>;
}

export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Where `start`, `generate-keys` and `check-config` look when `--config` is not given. */
export const DEFAULT_CONFIG_PATH = "data/homeserver.yaml";

export const CONFIG_OPTION = { config: { type: "string", short: "c" } } as const;

type Options = NonNullable<ParseArgsConfig["options"]>;
export type OptionValues = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

/** Parse `args`; `undefined` means `--help` was asked for (the caller prints usage). */
export function parseOptions(args: string[], options: Options): OptionValues | undefined {
  let values: OptionValues;
  try {
    values = parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: false })
      .values as OptionValues;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return values.help ? undefined : values;
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}

export function out(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

export function err(text: string): void {
  process.stderr.write(text.endsWith("\n") ? text : `${text}\n`);
}
