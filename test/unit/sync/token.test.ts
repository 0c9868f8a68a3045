import { describe, expect, it } from "vitest";
import {
  deviceListPositionsOf,
  formatSyncToken,
  parseSyncToken,
  roomPositionOf,
  samePositions,
  tryParseSyncToken,
  ZERO_POSITIONS,
  type SyncPositions,
} from "../../../src/client/sync/token.js";
import { parsePositionToken, positionToken } from "../../../src/client/format/tokens.js";

const sample: SyncPositions = {
  room: 12,
  membership: 3,
  receipts: 7,
  typing: 2,
  presence: 1,
  toDevice: 9,
  deviceLists: 4,
  remoteDeviceLists: 5,
  accountData: 6,
  boot: "k3x9q2",
};

describe("sync tokens", () => {
  it("round-trips every stream position", () => {
    const token = formatSyncToken(sample);
    expect(token).toBe("s12_m3_r7_t2_p1_d9_l4_e5_a6_bk3x9q2");
    expect(parseSyncToken(token)).toEqual(sample);
  });

  it("reads missing streams as 0 and ignores streams it does not know", () => {
    expect(tryParseSyncToken("s5")).toEqual({ ...ZERO_POSITIONS, room: 5 });
    expect(tryParseSyncToken("s5_z9_m2")).toEqual({ ...ZERO_POSITIONS, room: 5, membership: 2 });
  });

  it("rejects what is not a token", () => {
    for (const bad of ["", "hello", "s", "s1_m", "s1_m-2", "s1__m2", "{}", "s1_bUPPER", `s${"9".repeat(20)}`]) {
      expect(tryParseSyncToken(bad), bad).toBeUndefined();
    }
    expect(() => parseSyncToken("nope")).toThrowError(expect.objectContaining({ errcode: "M_INVALID_PARAM" }));
  });

  it("gives /messages and /keys/changes the positions they need", () => {
    expect(roomPositionOf(formatSyncToken(sample))).toBe(12);
    expect(roomPositionOf(positionToken(-4))).toBe(-4);
    expect(deviceListPositionsOf(formatSyncToken(sample))).toEqual({ local: 4, remote: 5 });
    // The pagination parser of the rooms API accepts our next_batch.
    expect(parsePositionToken(formatSyncToken(sample))).toBe(12);
  });

  it("compares positions including the boot", () => {
    expect(samePositions(sample, { ...sample })).toBe(true);
    expect(samePositions(sample, { ...sample, receipts: 8 })).toBe(false);
    expect(samePositions(sample, { ...sample, boot: "other" })).toBe(false);
  });
});
