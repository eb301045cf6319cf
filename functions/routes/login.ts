import type { Context } from 'hono';
import type { AppEnv } from '../app-env.js';
import { OciError } from '../core/errors.js';
import { LoginThrottledError } from '../identity/authenticator.js';
import type { Identity } from '../identity/identity.js';
import { DirectoryUnavailableError } from '../identity/directory.js';
import type { Principal } from '../identity/principal.js';
import { log } from '../ops/logger.js';
import { clientAddressOf } from './client-address.js';

/**
 * Checks a login for any route: the principal, or the right error thrown — `unauthorized()` for
 * wrong credentials, 429 TOOMANYREQUESTS with Retry-After while throttled (for this name from
 * this client address, or for the address), 503 when the directory cannot be reached.
 */
export async function loginOrThrow(c: Context<AppEnv>, identity: Identity, login: string, password: string, unauthorized: () => Error): Promise<Principal> {
  try {
    const principal = await identity.authenticator.authenticate(login, password, clientAddressOf(c));
    if (!principal) {
      log.warn('login failed', { event: 'login-failed', login });
      throw unauthorized();
    }
    return principal;
  } catch (error) {
    if (error instanceof LoginThrottledError) {
      log.warn('login throttled', { event: 'login-throttled', login, retryAfterSeconds: error.retryAfterSeconds });
      throw new OciError('TOOMANYREQUESTS', 'too many failed logins, try again later', undefined, {
        headers: { 'Retry-After': String(error.retryAfterSeconds) },
      });
    }
    if (error instanceof DirectoryUnavailableError) {
      log.error('LDAP unavailable', { cause: error.message });
      throw new OciError('UNAUTHORIZED', 'the login directory cannot be reached', undefined, { status: 503 });
    }
    throw error;
  }
}
