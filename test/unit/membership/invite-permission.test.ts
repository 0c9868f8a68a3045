import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InvitePermissions, invitePermissions, invitesBlockedBy } from "../../../src/rooms/membership/invite-permission.js";
import type { JsonObject } from "../../../src/events/types.js";
import { Storage } from "../../../src/storage/storage.js";

describe("invite blocking (m.invite_permission_config)", () => {
  it("only default_action: block blocks; missing, invalid or unknown values do not", () => {
    expect(invitesBlockedBy({ default_action: "block" })).toBe(true);
    const contents: (JsonObject | undefined)[] = [undefined, {}, { default_action: "allow" }, { default_action: "BLOCK" }, { default_action: true }];
    for (const content of contents) {
      expect(invitesBlockedBy(content)).toBe(false);
    }
  });

  it("asks the account data reader it was given, for the one event type", () => {
    const p = new InvitePermissions();
    expect(p.isBlocked("@a:x")).toBe(false);
    const asked: string[] = [];
    p.setAccountDataLookup((user, type) => {
      asked.push(type);
      return user === "@a:x" ? { default_action: "block" } : undefined;
    });
    expect(p.isBlocked("@a:x")).toBe(true);
    expect(p.isBlocked("@b:x")).toBe(false);
    expect(asked).toEqual(["m.invite_permission_config", "m.invite_permission_config"]);
  });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "conflux-invperm-"));
  const storage = Storage.open(dir);
  afterAll(async () => {
    await storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("one instance per server", () => {
    expect(invitePermissions(storage)).toBe(invitePermissions(storage));
  });
});
