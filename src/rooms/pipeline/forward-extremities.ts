/**
 * Forward extremities and the current state (server-server-api.md "PDUs", "Soft failure").
 *
 * The forward extremities are the accepted, non-soft-failed events nothing accepted here
 * builds on yet; a new local event lists them as prev_events. The current state is the
 * resolution of the states after every extremity; it is what soft failure checks against and
 * what clients see.
 */
import type { RoomEvent } from "../../events/types.js";
import type { NodeId } from "../../storage/state-node.js";
import type { WriteBatch } from "../../storage/write-batch.js";
import type { RoomContext } from "../room-context.js";
import { resolveRoots } from "../state-view.js";

export class Heads {
  readonly extremities: Set<number>;
  private readonly stateAfter = new Map<number, NodeId>();
  changed = false;

  constructor(
    private readonly ctx: RoomContext,
    extremities: readonly number[],
    public currentRoot: NodeId,
  ) {
    this.extremities = new Set(extremities);
  }

  /**
   * An accepted event: it replaces the extremities it builds on, unless something builds on it
   * (only possible when its ID was known before it was stored: `referencedBefore`).
   */
  accept(w: WriteBatch, ev: RoomEvent, nid: number, stateAfter: NodeId, referencedBefore: boolean): void {
    if (referencedBefore && this.ctx.storage.events.childrenOf(nid).length > 0) return;
    for (const prev of ev.prevEvents) {
      const pnid = this.ctx.storage.events.nidOf(prev, w);
      if (pnid !== undefined) this.extremities.delete(pnid);
    }
    this.extremities.add(nid);
    this.stateAfter.set(nid, stateAfter);
    this.changed = true;
    this.currentRoot = this.resolveCurrent(w);
  }

  private resolveCurrent(w: WriteBatch): NodeId {
    const roots: NodeId[] = [];
    for (const x of this.extremities) {
      let root = this.stateAfter.get(x);
      if (root === undefined) {
        root = this.ctx.loader.recordByNid(x, w)?.stateAfter ?? undefined;
        if (root === undefined) continue;
        this.stateAfter.set(x, root);
      }
      roots.push(root);
    }
    if (roots.length === 0) return this.currentRoot;
    return resolveRoots(this.ctx.storage, this.ctx.loader, this.ctx.version, roots, w);
  }
}
