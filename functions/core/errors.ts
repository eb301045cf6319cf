import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** The distribution-spec error codes (spec "Error Codes"), with the status Berth answers them with. */
export const ociErrorCodes = {
  BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { status: 400, message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { status: 400, message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: { status: 404, message: 'manifest references a manifest or blob unknown to registry' },
  MANIFEST_INVALID: { status: 400, message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { status: 404, message: 'manifest unknown to registry' },
  NAME_INVALID: { status: 400, message: 'invalid repository name' },
  NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry' },
  SIZE_INVALID: { status: 400, message: 'provided length did not match content length' },
  UNAUTHORIZED: { status: 401, message: 'authentication required' },
  DENIED: { status: 403, message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 415, message: 'the operation is unsupported' },
  TOOMANYREQUESTS: { status: 429, message: 'too many requests' },
  UNKNOWN: { status: 500, message: 'unknown error' },
  /** Harbor's code for a pull a project policy refuses (vulnerabilities, content trust). */
  PROJECTPOLICYVIOLATION: { status: 412, message: 'the artifact violates a policy of its project' },
} as const satisfies Record<string, { status: ContentfulStatusCode; message: string }>;

export type OciErrorCode = keyof typeof ociErrorCodes;

/**
 * The one error type routes throw. `app.onError` renders it as the spec's body,
 * `{"errors":[{"code","message","detail"}]}`, with its status and any extra headers.
 */
export class OciError extends Error {
  readonly status: ContentfulStatusCode;
  readonly headers: Record<string, string>;

  constructor(
    readonly code: OciErrorCode,
    message?: string,
    readonly detail?: unknown,
    options: { status?: ContentfulStatusCode; headers?: Record<string, string> } = {},
  ) {
    super(message ?? ociErrorCodes[code].message);
    this.name = 'OciError';
    this.status = options.status ?? ociErrorCodes[code].status;
    this.headers = options.headers ?? {};
  }

  toBody(): { errors: { code: string; message: string; detail?: unknown }[] } {
    return { errors: [{ code: this.code, message: this.message, ...(this.detail === undefined ? {} : { detail: this.detail }) }] };
  }
}
