/**
 * In-process change notifications for the EDU streams: what /sync (and anything else that
 * long-polls) waits on. Every store emits one `EduChange` after the change is visible to its
 * `since(pos)` read (after the LMDB commit for persisted streams).
 */
import { EventEmitter } from "node:events";

export type EduStreamName = "typing" | "receipts" | "presence" | "to_device" | "device_lists";

export interface EduChange {
  readonly stream: EduStreamName;
  /** The stream's new position. */
  readonly pos: number;
  /** typing, receipts: the room that changed. */
  readonly roomId?: string;
  /** presence, device_lists, to_device: the user that changed. */
  readonly userId?: string;
  /** to_device: the device whose inbox grew. */
  readonly deviceId?: string;
}

export type EduChangeListener = (change: EduChange) => void;

export class EduNotifier {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per waiting /sync request: there may be thousands.
    this.emitter.setMaxListeners(0);
  }

  emit(change: EduChange): void {
    this.emitter.emit("change", change);
  }

  /** Subscribe to every change; returns the unsubscribe function. */
  onChange(listener: EduChangeListener): () => void {
    this.emitter.on("change", listener);
    return () => this.emitter.off("change", listener);
  }

  /**
   * Resolves with the first change accepted by `filter`, or `undefined` after `timeoutMs` or
   * when `signal` aborts. Check the stores' positions before waiting: a change that happened
   * before the call is not replayed.
   */
  waitFor(filter: (change: EduChange) => boolean, timeoutMs: number, signal?: AbortSignal): Promise<EduChange | undefined> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (change: EduChange | undefined): void => {
        off();
        if (timer) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        resolve(change);
      };
      const onAbort = (): void => finish(undefined);
      const off = this.onChange((change) => {
        if (filter(change)) finish(change);
      });
      timer = setTimeout(() => finish(undefined), Math.max(0, timeoutMs));
      timer.unref();
      if (signal?.aborted) finish(undefined);
      else signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}
