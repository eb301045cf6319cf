import { RemovalPolicy } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from '../nag/acknowledge.js';

/** The JSON field of the secret that holds the HMAC key of upload tokens. */
export const tokenSecretHmacField = 'hmacKey';

export interface TokenSigningSecretProps {
  readonly retainData: boolean;
}

/**
 * Key material for the tokens Berth signs. The secret is a JSON object; CloudFormation generates
 * `hmacKey` (64 random alphanumerics) that the API and the upload service share to sign and check
 * the short-lived upload tokens in upload Locations (BERTH_UPLOAD_TOKEN_SECRET). Further keys
 * (the token service's key set) can be added as fields.
 */
export class TokenSigningSecret extends Construct {
  readonly secret: Secret;

  constructor(scope: Construct, id: string, props: TokenSigningSecretProps) {
    super(scope, id);
    this.secret = new Secret(this, 'Secret', {
      description: 'Berth token-signing key material',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ version: 1 }),
        generateStringKey: tokenSecretHmacField,
        passwordLength: 64,
        excludePunctuation: true,
      },
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    acknowledge(this.secret, {
      id: 'AwsSolutions-SMG4',
      reason:
        'No automatic rotation yet: rotating the HMAC key invalidates upload tokens in flight, so it needs a two-key overlap that the token issuer does not implement yet.',
    });
  }
}
