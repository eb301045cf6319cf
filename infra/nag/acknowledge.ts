import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** A cdk-nag finding we accept on purpose, with the reason a reviewer can check. */
export interface NagAcknowledgment {
  /** Rule id, with the finding in brackets where a rule reports several (`AwsSolutions-IAM5[...]`). */
  readonly id: string;
  readonly reason: string;
}

/** Records accepted findings on a construct; they apply to it and everything below it. */
export function acknowledge(scope: IConstruct, ...rules: NagAcknowledgment[]): void {
  Validations.of(scope).acknowledge(...rules);
}
