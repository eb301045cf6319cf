/** Who is using the portal, as `/api/v2.0/users/current` and the page's `data-auth` say. */
export interface CurrentUser {
  user_id: number;
  username: string;
  email: string;
  realname: string;
  sysadmin_flag: boolean;
}

export const state: {
  /** off: the registry runs open, without identity (no login, and no /api/v2.0). */
  auth: 'on' | 'off';
  user: CurrentUser | null;
} = { auth: 'on', user: null };

/** The registry host as clients should name it in `docker pull` (this page's host). */
export function registryHost(): string {
  return location.host;
}
