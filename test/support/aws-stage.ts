import { randomBytes } from 'node:crypto';
import { createApiHandler } from '../../functions/entry/api.handler.js';
import { startUploadServer } from '../../functions/entry/upload-server.js';
import { type LambdaGateway, startLambdaGateway } from './lambda-gateway.js';
import { freePort } from './moto.js';

/** One deployed stage, emulated: the API on "Lambda" behind the gateway, and maybe an upload service. */
export interface AwsStage {
  /** The registry's address, as a client is given it. */
  url: string;
  /** host:port for image references. */
  host: string;
  gateway: LambdaGateway;
  uploadServiceUrl?: string;
  close(): Promise<void>;
}

/** A stage on the AWS resources named in `env` (a moto stack), with or without upload service. */
export async function startAwsStage(
  env: Record<string, string>,
  options: { uploadService: boolean; adminPassword?: string },
): Promise<AwsStage> {
  const secret = randomBytes(32).toString('hex');
  // The gateway's port must be known before the API is built: with auth on, the token realm
  // names it (the app would otherwise derive https://<host> from the event, as behind API Gateway).
  const gatewayPort = await freePort();
  const auth = options.adminPassword
    ? { BERTH_ADMIN_PASSWORD: options.adminPassword, BERTH_TOKEN_REALM: `http://127.0.0.1:${gatewayPort}/service/token` }
    : {};
  const upload = options.uploadService
    ? await startUploadServer({ ...env, ...auth, BERTH_UPLOAD_TOKEN_SECRET: secret }, { port: 0, hostname: '127.0.0.1' })
    : undefined;
  const handler = await createApiHandler({
    ...env,
    ...auth,
    ...(upload ? { BERTH_UPLOAD_SERVICE_URL: upload.url, BERTH_UPLOAD_TOKEN_SECRET: secret } : {}),
  });
  const gateway = await startLambdaGateway(handler, { port: gatewayPort });
  return {
    url: gateway.url,
    host: gateway.url.replace(/^http:\/\//, ''),
    gateway,
    ...(upload ? { uploadServiceUrl: upload.url } : {}),
    close: async () => {
      await gateway.close();
      await upload?.close();
    },
  };
}
