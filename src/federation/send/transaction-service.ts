/**
 * Inbound transactions, end to end (server-server-api.md "Transactions"; transactions.yaml):
 *
 *   parse the envelope (400 on a schema violation, nothing processed)
 *   → answered before? the stored response, nothing re-processed (storage.txns)
 *   → the same (origin, txnId) being processed right now? share that processing
 *   → a slot for the origin (OriginLimiter; 429 when it has too many in flight)
 *   → PDUs (process-pdus.ts) and EDUs (src/edu/inbound) concurrently
 *   → record the response durably, then answer 200 {"pdus": {event_id: {} | {error}}}
 *
 * Idempotency: the spec has the sender retry the same txnId until it gets a 200, so a retry
 * is common (our 200 lost on the way, a timeout on their side). Its effects are idempotent
 * anyway (a known event is a duplicate, a to-device message_id is delivered once), but a
 * retry must also not cost a second round of verification and gap filling, and must get the
 * same answer. The response is recorded after every effect of the transaction is durable
 * ("Durable before acknowledged", DESIGN.md); if the process dies in between, the retry redoes
 * the work and finds the events already stored. Responses are kept `TXN_RETENTION_MS`.
 */
import type { App } from "../../app.js";
import { eduServices } from "../../edu/index.js";
import { handleEdus } from "../../edu/inbound/index.js";
import type { JsonObject } from "../../events/types.js";
import { logger, type Logger } from "../../log.js";
import type { GapLimits } from "../../rooms/pipeline/fill-gaps.js";
import { OriginLimiter } from "./origin-limiter.js";
import { processPdus, type PduDeps } from "./process-pdus.js";
import { parseTransaction } from "./transaction-body.js";

export const TXN_RETENTION_MS = 24 * 3600_000;
const PRUNE_EVERY_MS = 3600_000;

export interface TransactionServiceOptions {
  /** Override gap-filling bounds (tests). */
  readonly gapLimits?: Partial<GapLimits>;
}

export class TransactionService {
  private readonly inflight = new Map<string, Promise<JsonObject>>();
  private readonly limiter: OriginLimiter;
  private readonly log: Logger;
  private readonly pduDeps: PduDeps;
  private lastPrune = 0;

  constructor(
    private readonly app: App,
    opts: TransactionServiceOptions = {},
  ) {
    this.log = logger("federation.send", { server_name: app.serverName });
    this.limiter = new OriginLimiter(app.config.limits.federation_max_concurrent_per_origin);
    const check = { pool: app.pool, keys: app.keyRing };
    this.pduDeps = {
      rooms: app.rooms,
      check,
      gaps: {
        rooms: app.rooms,
        check,
        transport: app.federation,
        log: logger("rooms.fill-gaps"),
        ...(opts.gapLimits ? { limits: opts.gapLimits } : {}),
      },
      log: this.log,
    };
  }

  /** Metrics: PDU outcomes by the prefix of their error ({} = accepted or soft-failed), EDUs by type. */
  private count(pdus: Record<string, { error?: string }>, edus: readonly { edu_type: string }[]): void {
    const m = this.app.metrics;
    for (const r of Object.values(pdus)) {
      const e = r.error;
      m.pdus.inc({ outcome: e === undefined ? "accepted" : e.startsWith("rejected:") ? "rejected" : e.startsWith("unplaced:") ? "unplaced" : "dropped" });
    }
    for (const edu of edus) m.edus.inc({ edu_type: typeof edu.edu_type === "string" ? edu.edu_type : "invalid" });
  }

  /** The response to PUT /send/{txnId} from `origin` (already authenticated). */
  async handle(origin: string, txnId: string, body: unknown, rawBody?: Uint8Array): Promise<JsonObject> {
    const tx = parseTransaction(body, origin);
    const stored = this.app.storage.txns.get(origin, txnId);
    if (stored) {
      this.log.debug({ origin, txn_id: txnId }, "transaction retried; answering from the record");
      return stored.response;
    }
    const key = `${origin}\u0000${txnId}`;
    const running = this.inflight.get(key);
    if (running) return running;

    const release = this.limiter.acquire(origin);
    const work = this.process(origin, txnId, tx, rawBody);
    const p = work.then((r) => r.response);
    this.inflight.set(key, p);
    // The origin's slot frees with the answer; the in-flight entry stays until the response is
    // recorded, so a retry in between shares this processing instead of redoing it.
    void p.finally(release).catch(() => undefined);
    void work
      .then((r) => r.recorded)
      .catch(() => undefined)
      .finally(() => this.inflight.delete(key));
    return p;
  }

  /** `rawBody`: the request bytes, so the crypto pool parses the PDUs itself (no clone). */
  private async process(
    origin: string,
    txnId: string,
    tx: ReturnType<typeof parseTransaction>,
    rawBody?: Uint8Array,
  ): Promise<{ response: JsonObject; recorded: Promise<unknown> }> {
    const edu = eduServices(this.app);
    const [pdus] = await Promise.all([
      processPdus(this.pduDeps, origin, tx.pdus, rawBody ? { bytes: rawBody, field: "pdus" } : undefined, txnId),
      handleEdus({ edu, storage: this.app.storage, serverName: this.app.serverName, origin, log: this.log }, tx.edus),
    ]);
    this.count(pdus, tx.edus);
    const response: JsonObject = { pdus };
    const now = Date.now();
    const prune = now - this.lastPrune > PRUNE_EVERY_MS;
    if (prune) this.lastPrune = now;
    // The record only spares a retry the work: every PDU's outcome is already durable, and a
    // retry recomputes the same answer from them (duplicates answer from their stored status).
    // So the response does not wait for the record's commit; a retry arriving meanwhile still
    // shares this processing (`recorded` keeps the in-flight entry until the record is in).
    const recorded = this.app.storage
      .write((w) => {
        this.app.storage.txns.put(w, origin, txnId, response, now);
        if (prune) this.app.storage.txns.prune(w, now - TXN_RETENTION_MS);
      })
      .catch((err: unknown) => this.log.warn({ err, origin, txn_id: txnId }, "could not record the transaction's response"));
    this.log.debug({ origin, txn_id: txnId, pdus: tx.pdus.length, edus: tx.edus.length }, "transaction processed");
    return { response, recorded };
  }
}
