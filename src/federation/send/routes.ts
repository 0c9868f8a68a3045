/**
 * PUT /_matrix/federation/v1/send/{txnId} (server-server-api.md "Transactions",
 * transactions.yaml): X-Matrix authenticated, body up to `limits.max_transaction_body_bytes`.
 * Parse → authorise (per PDU/EDU, inside) → rooms → 200 {"pdus": {...}} even when PDUs fail.
 */
import type { RouteRegistrar } from "../../app.js";
import { json } from "../../http/request.js";
import { TransactionService } from "./transaction-service.js";

export const SEND_PATH = "/_matrix/federation/v1/send/:txnId";

export const registerSendRoutes: RouteRegistrar = (router, app) => {
  const transactions = new TransactionService(app);
  router.put<"federation">(
    SEND_PATH,
    async (req) => json(await transactions.handle(req.auth.origin, req.params.txnId!, req.body, req.rawBody)),
    { auth: "federation", body: "object", bodyLimit: app.config.limits.max_transaction_body_bytes },
  );
};
