import { SignJWT } from 'jose/jwt/sign';
import { jwtVerify } from 'jose/jwt/verify';

/**
 * Short-lived tokens that let a client continue an upload on the upload service, another host:
 * docker and containerd send no Authorization header there, so the POST that opened the session
 * hands the right to write it in the Location's query. A token binds one session of one
 * repository and nothing else.
 */
const audience = 'berth-upload';

export async function signUploadToken(secret: Uint8Array, uploadId: string, repository: string, ttlSeconds: number): Promise<string> {
  return new SignJWT({ repo: repository })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(uploadId)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(secret);
}

/** True only for an unexpired token minted for exactly this session and repository. */
export async function verifyUploadToken(secret: Uint8Array, token: string, uploadId: string, repository: string): Promise<boolean> {
  try {
    const { payload } = await jwtVerify(token, secret, { audience, algorithms: ['HS256'], subject: uploadId });
    return payload.repo === repository;
  } catch {
    return false;
  }
}
