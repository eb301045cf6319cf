/**
 * The storage behind a port has no room left (a full disk or quota: ENOSPC, EDQUOT, SQLITE_FULL).
 * Adapters throw it only after undoing what the failed call wrote, so nothing partial stays
 * behind and the same call succeeds once space is freed. Answered as 507 Insufficient Storage.
 */
export class StorageFullError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageFullError';
  }
}

/** Whether a Node system error means "no space left" (disk full, or the user's quota). */
export function isNoSpace(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
