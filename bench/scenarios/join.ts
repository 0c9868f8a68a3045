/**
 * `join`: a remote server joining a big room on a Conflux process (server-server API
 * "Joining Rooms": make_join, then v2 send_join, with and without `omit_members`).
 *
 * Per room size (1k, 10k, 100k members; quick: 1k, 10k), built directly in the data dir
 * (bench/lib/server-data-dir.ts) before the server starts, a remote double
 * (bench/lib/remote-homeserver.ts) joins fresh users one at a time, alternating a full join and
 * an `omit_members=true` join. Reported per mode:
 *   - send_join server time from the server's own histogram
 *     (`conflux_http_request_duration_seconds`, scraped before and after each request on the
 *     metrics listener): the figure the goals are about;
 *   - the HTTP round trip seen by the remote (request written → last byte; the remote's own
 *     signing and JSON parsing are measured apart and excluded);
 *   - response bytes, make_join time, server RSS before the joins and peak RSS (VmHWM).
 * The first join after start is reported apart (cold: caches empty, code not yet optimised).
 * Each response is checked: a full join's `state` holds every member; an omit_members join's
 * has `members_omitted` and at most a handful of member events (the heroes).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { getRoomVersion } from "../../src/events/room-versions.js";
import { signingKeyFromSeed } from "../../src/events/signing-json.js";
import type { JsonObject, JsonValue } from "../../src/events/types.js";
import { requestSecondsBetween, scrapeMetrics } from "../lib/metrics-scrape.js";
import { freePort } from "../lib/ports.js";
import { collectServerProfiles, profileNotes, rawProfileDir, type CollectedProfiles } from "../lib/profiles.js";
import { createRemoteIdentity, loadIdentityKey, RemoteHomeserver } from "../lib/remote-homeserver.js";
import { buildServerRoom } from "../lib/server-data-dir.js";
import { ServerProcess } from "../lib/server-process.js";
import { median, round3 } from "../lib/stats.js";
import type { Scenario, ScenarioContext, ScenarioResult, Series } from "../lib/types.js";

const MAKE_JOIN_ROUTE = "/_matrix/federation/v1/make_join/:roomId/:userId";
const SEND_JOIN_ROUTE = "/_matrix/federation/v2/send_join/:roomId/:eventId";
const MB = 1024 * 1024;
const GOAL_FULL_MS = 1000;
const GOAL_OMIT_MS = 50;

type Mode = "full" | "omit_members";

interface JoinSample {
  makeJoinMs: number;
  makeJoinServerMs: number;
  sendJoinRttMs: number;
  sendJoinServerMs: number;
  clientMs: number;
  bytes: number;
  stateEvents: number;
  authChainEvents: number;
}

interface SizeResult {
  members: number;
  buildSeconds: number;
  rssBeforeMb: number;
  peakRssMb: number;
  samples: Record<Mode, JoinSample[]>;
  profiles?: CollectedProfiles;
}

const enc = encodeURIComponent;

async function joinOnce(remote: RemoteHomeserver, server: ServerProcess, roomId: string, localpart: string, mode: Mode, members: number): Promise<JoinSample> {
  const userId = remote.userId(localpart);
  const metricsUrl = server.metricsUrl!;
  const m0 = await scrapeMetrics(metricsUrl);
  const made = await remote.requestRaw("GET", `/_matrix/federation/v1/make_join/${enc(roomId)}/${enc(userId)}?ver=12`);
  if (made.status !== 200) throw new Error(`make_join ${made.status}: ${made.body.toString("utf8").slice(0, 300)}`);
  const { event, room_version } = JSON.parse(made.body.toString("utf8")) as { event: JsonObject; room_version: string };
  const signed = remote.sign({ ...event, origin_server_ts: Date.now() }, getRoomVersion(room_version)!);
  const m1 = await scrapeMetrics(metricsUrl);
  const query = mode === "omit_members" ? "?omit_members=true" : "";
  const sent = await remote.requestRaw("PUT", `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(signed.eventId)}${query}`, signed.pdu as unknown as JsonValue);
  const m2 = await scrapeMetrics(metricsUrl);
  if (sent.status !== 200) throw new Error(`send_join ${sent.status}: ${sent.body.toString("utf8").slice(0, 300)}`);
  const parseStart = process.hrtime.bigint();
  const body = JSON.parse(sent.body.toString("utf8")) as { state: { type: string }[]; auth_chain: unknown[]; members_omitted?: boolean };
  const parseMs = Number(process.hrtime.bigint() - parseStart) / 1e6;
  const memberEvents = body.state.filter((e) => e.type === "m.room.member").length;
  if (mode === "full" && memberEvents < members) throw new Error(`full send_join returned ${memberEvents} member events for ${members} members`);
  if (mode === "omit_members" && (body.members_omitted !== true || memberEvents > 5)) {
    throw new Error(`omit_members send_join: members_omitted=${body.members_omitted}, ${memberEvents} member events`);
  }
  const makeJoin = requestSecondsBetween(m0, m1, "federation", MAKE_JOIN_ROUTE);
  const sendJoin = requestSecondsBetween(m1, m2, "federation", SEND_JOIN_ROUTE);
  if (makeJoin.count !== 1 || sendJoin.count !== 1) throw new Error(`metrics: expected one request per route, got make_join ${makeJoin.count}, send_join ${sendJoin.count}`);
  return {
    makeJoinMs: made.roundTripMs,
    makeJoinServerMs: makeJoin.sum * 1000,
    sendJoinRttMs: sent.roundTripMs,
    sendJoinServerMs: sendJoin.sum * 1000,
    clientMs: sent.signMs + parseMs,
    bytes: sent.body.length,
    stateEvents: body.state.length,
    authChainEvents: body.auth_chain.length,
  };
}

async function runSize(ctx: ScenarioContext, members: number, joinsPerMode: number): Promise<SizeResult> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "conflux-bench-join-"));
  try {
    const identity = createRemoteIdentity(path.join(work, "remote"), await freePort());
    const remoteKey = loadIdentityKey(identity, signingKeyFromSeed);
    const federationPort = await freePort();
    const serverName = `127.0.0.1:${federationPort}`;
    const dataDir = path.join(work, "server");
    const built = await buildServerRoom({
      dataDir,
      serverName,
      remoteName: identity.serverName,
      remoteKey,
      members,
      poolSize: os.availableParallelism(),
      onProgress: (d, t) => ctx.progress.update(`${members} members: building the room in storage`, d, t),
    });
    const profileDir = ctx.profile ? rawProfileDir(work, `join-${members}`) : undefined;
    ctx.progress.update(`${members} members: starting the server`);
    const server = await ServerProcess.start({
      dir: dataDir,
      federationPort,
      clientPort: await freePort(),
      metricsPort: await freePort(),
      trustedCaPaths: [identity.certPath],
      poolSize: os.availableParallelism(),
      ...(profileDir ? { profileDir } : {}),
    });
    const samples: Record<Mode, JoinSample[]> = { full: [], omit_members: [] };
    let rssBefore = 0;
    let peakRss = 0;
    try {
      const remote = await RemoteHomeserver.start(identity, remoteKey, { serverName, host: "127.0.0.1", port: federationPort, caPath: server.certPath });
      try {
        // The first signed request makes the server fetch the remote's key: keep it out of the figures.
        const warm = await remote.request("GET", `/_matrix/federation/v1/make_join/${enc(built.roomId)}/${enc(remote.userId("warmup"))}?ver=12`);
        if (warm.status !== 200) throw new Error(`make_join (warm-up) ${warm.status}: ${JSON.stringify(warm.body)}`);
        rssBefore = server.rssBytes();
        for (let i = 0; i < joinsPerMode; i++) {
          for (const mode of ["full", "omit_members"] as const) {
            ctx.progress.update(`${members} members: ${mode} join ${i + 1}/${joinsPerMode}`);
            samples[mode].push(await joinOnce(remote, server, built.roomId, `joiner_${mode}_${i}`, mode, members));
          }
        }
        peakRss = server.peakRssBytes();
      } finally {
        await remote.stop();
      }
    } finally {
      ctx.progress.update(`${members} members: stopping the server`);
      await server.stop();
    }
    const profiles = profileDir ? collectServerProfiles(profileDir, ctx.outDir, `join-${members}`) : undefined;
    return {
      members,
      buildSeconds: built.seconds,
      rssBeforeMb: rssBefore / MB,
      peakRssMb: peakRss / MB,
      samples,
      ...(profiles ? { profiles } : {}),
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Cold = the first join of that mode after start; warm = the median of the rest. */
function coldWarm(values: number[]): { cold: number; warm: number } {
  return { cold: values[0]!, warm: values.length > 1 ? median(values.slice(1)) : values[0]! };
}

export const joinScenario: Scenario = {
  name: "join",
  description: "make_join + v2 send_join (full and omit_members) into 1k/10k/100k-member rooms on a Conflux process",
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const sizes = ctx.quick ? [1000, 10_000] : [1000, 10_000, 100_000];
    const joinsPerMode = ctx.quick ? 5 : 7;
    const results: SizeResult[] = [];
    for (const members of sizes) results.push(await runSize(ctx, members, joinsPerMode));

    const rows: (string | number)[][] = [];
    const series: Record<Mode, Series> = { full: { label: "full state", points: [] }, omit_members: { label: "omit_members=true", points: [] } };
    for (const r of results) {
      for (const mode of ["full", "omit_members"] as const) {
        const s = r.samples[mode];
        const server = coldWarm(s.map((x) => x.sendJoinServerMs));
        const rtt = coldWarm(s.map((x) => x.sendJoinRttMs));
        rows.push([
          r.members,
          mode,
          round3(median(s.map((x) => x.makeJoinServerMs))),
          round3(server.cold),
          round3(server.warm),
          round3(rtt.warm),
          round3(median(s.map((x) => x.clientMs))),
          round3(s[0]!.bytes / MB),
          `${s[0]!.stateEvents} / ${s[0]!.authChainEvents}`,
          Math.round(r.rssBeforeMb),
          Math.round(r.peakRssMb),
        ]);
        series[mode].points.push({ x: r.members, y: round3(server.warm) });
      }
    }
    const largest = results[results.length - 1]!;
    const fullWarm = coldWarm(largest.samples.full.map((x) => x.sendJoinServerMs)).warm;
    const omitWarm = Math.max(...results.map((r) => coldWarm(r.samples.omit_members.map((x) => x.sendJoinServerMs)).warm));
    const profiles = results.flatMap((r) => (r.profiles ? [r.profiles] : []));
    return {
      scenario: "join",
      summary: {
        [`send_join_${largest.members}_members_server_ms`]: round3(fullWarm),
        [`send_join_${largest.members}_members_mb`]: round3(largest.samples.full[0]!.bytes / MB),
        send_join_omit_members_worst_server_ms: round3(omitWarm),
        goal_full: `100k members < ${GOAL_FULL_MS} ms server time${largest.members === 100_000 ? (fullWarm < GOAL_FULL_MS ? " (met)" : " (missed)") : " (100k not run with --quick)"}`,
        goal_omit_members: `< ${GOAL_OMIT_MS} ms ${omitWarm < GOAL_OMIT_MS ? "(met)" : "(missed)"}`,
        [`server_peak_rss_mb_${largest.members}_members`]: Math.round(largest.peakRssMb),
      },
      tables: [
        {
          title: `Joining a big room: make_join + v2 send_join from a remote server (HTTPS, ${joinsPerMode} joins per mode; "warm" = median after the first)`,
          columns: [
            "members",
            "send_join",
            "make_join server ms",
            "send_join server ms (cold)",
            "send_join server ms (warm)",
            "send_join HTTP ms (warm)",
            "remote's sign+parse ms",
            "response MB",
            "state / auth_chain events",
            "server RSS before MB",
            "server peak RSS MB",
          ],
          rows,
        },
        {
          title: "Building the rooms (in-process, before the server starts; not part of the figures)",
          columns: ["members", "build s"],
          rows: results.map((r) => [r.members, round3(r.buildSeconds)]),
        },
      ],
      charts: [{ title: "send_join server time vs room size (warm)", xLabel: "members", yLabel: "ms", logX: true, series: [series.full, series.omit_members] }],
      notes: [
        "Server ms = conflux_http_request_duration_seconds of that one request (request head → response handed to uWS), from the server's metrics listener. HTTP ms = the remote's round trip from the request written to the last response byte over loopback HTTPS, without its own signing and parsing.",
        "Each room size runs on a fresh server process. Peak RSS = its VmHWM (main thread + crypto pool) over all joins of that size, both modes; RSS before = after start and the remote's key fetch.",
        ...profiles.flatMap((p) => profileNotes(p)),
      ],
    };
  },
};
