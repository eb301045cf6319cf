import { type FromEnvInit, fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * The SDK clients' credential provider inside Lambda, where the function's role credentials are
 * always in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN). The
 * functions' bundles put this module in place of `@aws-sdk/credential-provider-node`
 * (infra/constructs/function-code.ts), whose chain (profiles, SSO, web identity, container and
 * instance metadata) finds the same credentials first, through 110 KiB of providers that never
 * run there. Nothing else imports it.
 */
export const defaultProvider = (init: FromEnvInit = {}) => fromEnv(init);
