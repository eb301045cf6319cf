/** What an `Authorization` header carries, parsed but not yet checked. */
export type Credentials =
  | { scheme: 'none' }
  | { scheme: 'basic'; login: string; password: string }
  | { scheme: 'bearer'; token: string }
  | { scheme: 'invalid' };

/** RFC 7617 Basic (user-id up to the first colon) and RFC 6750 Bearer; anything else is invalid. */
export function parseAuthorization(header: string | undefined): Credentials {
  if (header === undefined || header.trim() === '') return { scheme: 'none' };
  const space = header.indexOf(' ');
  if (space === -1) return { scheme: 'invalid' };
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer' && /^[A-Za-z0-9\-._~+/]+=*$/.test(value)) return { scheme: 'bearer', token: value };
  if (scheme === 'basic') {
    if (!/^[A-Za-z0-9+/]+=*$/.test(value)) return { scheme: 'invalid' };
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return { scheme: 'invalid' };
    return { scheme: 'basic', login: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return { scheme: 'invalid' };
}
