import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { tableDefinition } from '../../functions/adapters/aws/resource-definitions.js';

export interface MetadataTableProps {
  readonly retainData: boolean;
}

/**
 * Every metadata record of one region (repositories, manifests, tags, upload sessions...), in
 * the shape the DynamoDB adapter and `npm run aws:bootstrap` share (resource-definitions.ts).
 */
export class MetadataTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: MetadataTableProps) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: tableDefinition.partitionKey, type: AttributeType.STRING },
      sortKey: { name: tableDefinition.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: tableDefinition.ttlAttribute,
      // The outbox relay reads new items from the stream (functions/adapters/aws/outbox.ts).
      stream: StreamViewType[tableDefinition.streamViewType],
      deletionProtection: props.retainData,
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    const { gsi1 } = tableDefinition;
    this.table.addGlobalSecondaryIndex({
      indexName: gsi1.indexName,
      partitionKey: { name: gsi1.partitionKey, type: AttributeType.STRING },
      sortKey: { name: gsi1.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
  }
}
