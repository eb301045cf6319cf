import { createHash, randomBytes } from 'node:crypto';
import type { Table } from '../ports/table.js';
import { partitions } from '../table-layout.js';

/**
 * Portal sessions in the single table. The cookie carries a random session id; the table keeps
 * only its SHA-256, so someone who can read the table cannot take over a session.
 *
 * | pk                    | sk        | item                                             |
 * |-----------------------|-----------|--------------------------------------------------|
 * | `session#<sha256 id>` | `session` | subject (login name), CSRF token, expiry (TTL)   |
 */
export interface Session {
  /** The login name the session acts as (a user; robots do not log in to the portal). */
  subject: string;
  /** The token every state-changing call made with this session must echo in a header. */
  csrf: string;
  createdAt: string;
  /** Epoch seconds; the table drops the item after this. */
  expiresAt: number;
}

export interface SessionOptions {
  /** How long a session lives from login, in seconds. */
  lifetimeSeconds: number;
}

export const defaultSessionOptions: SessionOptions = { lifetimeSeconds: 8 * 60 * 60 };

function keyOf(id: string) {
  return { pk: `${partitions.session}${createHash('sha256').update(id).digest('base64url')}`, sk: 'session' };
}

/** A random token: 256 bits, base64url, safe in cookies and headers. */
function token(): string {
  return randomBytes(32).toString('base64url');
}

export class SessionStore {
  constructor(
    private readonly table: Table,
    private readonly now: () => Date,
    private readonly options: SessionOptions = defaultSessionOptions,
  ) {}

  /** Starts a session for `subject`; returns the id for the cookie and the session (with its CSRF token). */
  async create(subject: string): Promise<{ id: string; session: Session }> {
    const id = token();
    const now = this.now();
    const session: Session = {
      subject,
      csrf: token(),
      createdAt: now.toISOString(),
      expiresAt: Math.floor(now.getTime() / 1000) + this.options.lifetimeSeconds,
    };
    await this.table.put({ ...keyOf(id), ...session }, { exists: false });
    return { id, session };
  }

  /** The live session with this id, or null when unknown, ended or expired. */
  async get(id: string): Promise<Session | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
    const item = await this.table.get(keyOf(id));
    if (!item) return null;
    if ((item.expiresAt ?? 0) <= Math.floor(this.now().getTime() / 1000)) return null;
    return { subject: String(item.subject), csrf: String(item.csrf), createdAt: String(item.createdAt), expiresAt: Number(item.expiresAt) };
  }

  /** Ends the session; ending an unknown one is not an error (logging out twice is fine). */
  async delete(id: string): Promise<void> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return;
    await this.table.delete(keyOf(id));
  }
}
