/**
 * A remote homeserver (a `FakeRemote`: own name, key and HTTPS listener) taking part in one
 * room of a Conflux that may be a child process: it joins through make_join/send_join and then
 * builds its own events the way a real server would (prev = its latest event, auth = power
 * levels + the sender's membership, and the create event where the room version wants it),
 * and sends them in /send transactions it can retry byte for byte.
 *
 * Only room versions with hash-based event IDs (v3+) are supported: tests use the default.
 */
import { getRoomVersion, type RoomVersion } from "../../../src/events/room-versions.js";
import type { JsonObject, JsonValue, Pdu } from "../../../src/events/types.js";
import { signRequest } from "../../../src/federation/auth/request-json.js";
import type { FakeRemote } from "../../helpers/fake-remote.js";
import { request } from "../../helpers/http.js";

/** Where the Conflux under test listens. */
export interface Target {
  readonly serverName: string;
  readonly federationUrl: string;
}

export interface FedResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** An X-Matrix-signed request from `remote` to `target`. */
export async function federationRequest(remote: FakeRemote, target: Target, method: string, uri: string, content?: JsonValue): Promise<FedResponse> {
  const signed = signRequest({ method, uri, origin: remote.serverName, destination: target.serverName }, remote.key, content);
  const res = await request(`${target.federationUrl}${uri}`, {
    method,
    headers: { Authorization: signed.authorization, ...(signed.body !== undefined ? { "Content-Type": "application/json" } : {}) },
    ...(signed.body !== undefined ? { body: signed.body } : {}),
    rejectUnauthorized: false,
  });
  let body: unknown = res.text;
  try {
    body = res.json();
  } catch {
    // not JSON
  }
  return { status: res.status, body, headers: res.headers };
}

export interface Transaction {
  readonly txnId: string;
  readonly body: JsonObject;
  /** The IDs of its PDUs, in order. */
  readonly eventIds: string[];
}

export class RemoteRoom {
  /** The latest event this server built (the prev event of its next one). */
  private last: { id: string; depth: number };
  /** Each of this server's users' current member event. */
  private readonly members = new Map<string, string>();
  private txnCounter = 0;

  private constructor(
    readonly remote: FakeRemote,
    readonly target: Target,
    readonly roomId: string,
    readonly version: RoomVersion,
    /** Auth events every event of ours cites: create (where the version wants it) and power levels. */
    private readonly baseAuth: string[],
    private readonly joinRulesId: string,
    joinId: string,
    joinDepth: number,
    localpart: string,
  ) {
    this.last = { id: joinId, depth: joinDepth };
    this.members.set(remote.userId(localpart), joinId);
  }

  /** make_join + send_join (v2) for `@localpart:remote`. */
  static async join(remote: FakeRemote, target: Target, roomId: string, localpart: string): Promise<RemoteRoom> {
    const enc = encodeURIComponent;
    const userId = remote.userId(localpart);
    const made = await federationRequest(remote, target, "GET", `/_matrix/federation/v1/make_join/${enc(roomId)}/${enc(userId)}?ver=12&ver=11&ver=10`);
    if (made.status !== 200) throw new Error(`make_join ${made.status}: ${JSON.stringify(made.body)}`);
    const { event, room_version } = made.body as { event: JsonObject; room_version: string };
    const version = getRoomVersion(room_version);
    if (!version || version.eventIdFormat === "carried") throw new Error(`unsupported room version ${room_version}`);
    const { pdu, eventId } = remote.sign({ ...event, origin_server_ts: Date.now() }, version);
    const sent = await federationRequest(remote, target, "PUT", `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(eventId)}`, pdu as unknown as JsonValue);
    if (sent.status !== 200) throw new Error(`send_join ${sent.status}: ${JSON.stringify(sent.body)}`);
    // Which of the join's auth events is which: ask for them.
    let joinRulesId = "";
    const baseAuth: string[] = [];
    for (const id of event.auth_events as string[]) {
      const got = await federationRequest(remote, target, "GET", `/_matrix/federation/v1/event/${enc(id)}`);
      const type = ((got.body as { pdus: Pdu[] }).pdus[0] as unknown as { type: string }).type;
      if (type === "m.room.join_rules") joinRulesId = id;
      else if (type === "m.room.create" || type === "m.room.power_levels") baseAuth.push(id);
    }
    return new RemoteRoom(remote, target, roomId, version, baseAuth, joinRulesId, eventId, event.depth as number, localpart);
  }

  userIds(): string[] {
    return [...this.members.keys()];
  }

  /** A message from one of our joined users. */
  message(sender: string, body: string): { pdu: Pdu; eventId: string } {
    return this.build({ type: "m.room.message", sender, content: { msgtype: "m.text", body } }, [this.memberOf(sender)]);
  }

  /** A new user of ours joins (public room: no invite needed). */
  joinUser(localpart: string): { pdu: Pdu; eventId: string } {
    const userId = this.remote.userId(localpart);
    if (this.members.has(userId)) throw new Error(`${userId} already joined`);
    const built = this.build({ type: "m.room.member", state_key: userId, sender: userId, content: { membership: "join" } }, [this.joinRulesId]);
    this.members.set(userId, built.eventId);
    return built;
  }

  /** A joined user changes its display name (a member event: state and membership change). */
  rename(userId: string, displayname: string): { pdu: Pdu; eventId: string } {
    const built = this.build(
      { type: "m.room.member", state_key: userId, sender: userId, content: { membership: "join", displayname } },
      [this.memberOf(userId)],
    );
    this.members.set(userId, built.eventId);
    return built;
  }

  /** A /send transaction body for these PDUs (keep it to retry it byte for byte). */
  transaction(pdus: readonly { pdu: Pdu; eventId: string }[]): Transaction {
    return {
      txnId: `t${Date.now()}-${++this.txnCounter}`,
      body: { origin: this.remote.serverName, origin_server_ts: Date.now(), pdus: pdus.map((p) => p.pdu as unknown as JsonObject) },
      eventIds: pdus.map((p) => p.eventId),
    };
  }

  send(txn: Transaction): Promise<FedResponse> {
    return federationRequest(this.remote, this.target, "PUT", `/_matrix/federation/v1/send/${encodeURIComponent(txn.txnId)}`, txn.body);
  }

  private memberOf(userId: string): string {
    const id = this.members.get(userId);
    if (id === undefined) throw new Error(`${userId} is not joined`);
    return id;
  }

  private build(fields: JsonObject, extraAuth: string[]): { pdu: Pdu; eventId: string } {
    const depth = this.last.depth + 1;
    const template: JsonObject = {
      room_id: this.roomId,
      origin_server_ts: Date.now(),
      depth,
      prev_events: [this.last.id],
      auth_events: [...this.baseAuth, ...extraAuth],
      ...fields,
    };
    const built = this.remote.sign(template, this.version);
    this.last = { id: built.eventId, depth };
    return built;
  }
}
