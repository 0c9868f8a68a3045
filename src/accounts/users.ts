/**
 * Local user accounts: existence, password hash (argon2id, computed in the crypto pool),
 * deactivation. Users are created inside a write that re-checks uniqueness against pending
 * writes too (`users` is readInWrite), so two concurrent registrations of one name cannot
 * both succeed.
 */
import { Errors } from "../errors.js";
import type { StoredUser } from "../storage/layouts/accounts.js";
import type { Store } from "../storage/store.js";
import type { WriteBatch } from "../storage/write-batch.js";

export interface UserRecord {
  readonly userId: string;
  readonly passwordHash: string | null;
  readonly createdTs: number;
  readonly deactivated: boolean;
}

export class UserStore {
  constructor(private readonly store: Store) {}

  get(userId: string): UserRecord | undefined {
    const s = this.store.dbs.users.get(userId);
    return s === undefined ? undefined : { userId, passwordHash: s[0], createdTs: s[1], deactivated: s[2] };
  }

  exists(userId: string): boolean {
    return this.store.dbs.users.doesExist(userId);
  }

  /** Create `userId` in `w`; throws 400 M_USER_IN_USE if it exists (committed or pending). */
  create(w: WriteBatch, userId: string, passwordHash: string | null, now: number): void {
    if (w.read("users", userId) !== undefined) throw Errors.userInUse();
    w.put("users", userId, [passwordHash, now, false] satisfies StoredUser);
  }

  setPasswordHash(w: WriteBatch, userId: string, passwordHash: string | null): void {
    const s = w.read("users", userId);
    if (s === undefined) throw Errors.notFound("Unknown user");
    w.put("users", userId, [passwordHash, s[1], s[2]]);
  }

  /** Every local user ID, in order (admin tooling, tests). */
  *userIds(): Iterable<string> {
    yield* this.store.dbs.users.getKeys();
  }
}
