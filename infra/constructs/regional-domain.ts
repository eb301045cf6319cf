import { Certificate, CertificateValidation } from 'aws-cdk-lib/aws-certificatemanager';
import { HostedZone, type IHostedZone } from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import type { DomainConfig } from '../config/stage-config.js';

export interface RegionalDomainProps {
  readonly domain: DomainConfig;
  readonly region: string;
}

/**
 * The names a region is published under, and one DNS-validated certificate for them:
 * `<region>.<zone>` for the registry and `uploads.<region>.<zone>` for the upload service.
 * The zone is referenced by id, so synth needs no Route 53 look-up.
 */
export class RegionalDomain extends Construct {
  readonly zone: IHostedZone;
  readonly registryHost: string;
  readonly uploadHost: string;
  readonly certificate: Certificate;

  constructor(scope: Construct, id: string, props: RegionalDomainProps) {
    super(scope, id);
    this.zone = HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: props.domain.hostedZoneId,
      zoneName: props.domain.zoneName,
    });
    this.registryHost = `${props.region}.${props.domain.zoneName}`;
    this.uploadHost = `uploads.${this.registryHost}`;
    this.certificate = new Certificate(this, 'Certificate', {
      domainName: this.registryHost,
      subjectAlternativeNames: [this.uploadHost],
      validation: CertificateValidation.fromDns(this.zone),
    });
  }
}
