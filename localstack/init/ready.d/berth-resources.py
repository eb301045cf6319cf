"""LocalStack init hook: creates Berth's bucket, table and queues when LocalStack is ready.

It reads the same definitions the code and the CDK app use (resource-definitions.json, generated from
functions/adapters/aws/resource-definitions.ts), so `docker compose up` alone gives a working
backend for `BERTH_BACKEND=aws npm start`. Names come from BERTH_BUCKET, BERTH_TABLE and
BERTH_QUEUE_NAME (defaults as in `npm run aws:bootstrap`). Safe to run again.
"""
import json
import os

import boto3

# Overridable so the hook can be tried against another endpoint (moto) outside the container.
ENDPOINT = os.environ.get("BERTH_INIT_ENDPOINT", "http://localhost:4566")
REGION = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
with open(os.environ.get("BERTH_DEFINITIONS", "/etc/localstack/berth/resource-definitions.json")) as file:
    DEFINITIONS = json.load(file)
BUCKET = os.environ.get("BERTH_BUCKET", "berth-blobs")
TABLE = os.environ.get("BERTH_TABLE", "berth")
QUEUE = os.environ.get("BERTH_QUEUE_NAME", "berth-jobs")


def client(service):
    return boto3.client(
        service, endpoint_url=ENDPOINT, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test"
    )


def create_bucket():
    s3 = client("s3")
    definition = DEFINITIONS["bucket"]
    try:
        s3.create_bucket(Bucket=BUCKET)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    s3.put_bucket_lifecycle_configuration(
        Bucket=BUCKET,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "abort-incomplete-multipart-uploads",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "AbortIncompleteMultipartUpload": {
                        "DaysAfterInitiation": definition["abortIncompleteMultipartUploadAfterDays"]
                    },
                },
                {
                    "ID": "expire-abandoned-upload-segments",
                    "Status": "Enabled",
                    "Filter": {"Prefix": definition["uploadPrefix"]},
                    "Expiration": {"Days": definition["expireUploadObjectsAfterDays"]},
                },
            ]
        },
    )


def create_table():
    dynamodb = client("dynamodb")
    t = DEFINITIONS["table"]
    gsi = t["gsi1"]
    try:
        dynamodb.create_table(
            TableName=TABLE,
            BillingMode=t["billingMode"],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": t["streamViewType"]},
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"}
                for name in (t["partitionKey"], t["sortKey"], gsi["partitionKey"], gsi["sortKey"])
            ],
            KeySchema=[
                {"AttributeName": t["partitionKey"], "KeyType": "HASH"},
                {"AttributeName": t["sortKey"], "KeyType": "RANGE"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": gsi["indexName"],
                    "KeySchema": [
                        {"AttributeName": gsi["partitionKey"], "KeyType": "HASH"},
                        {"AttributeName": gsi["sortKey"], "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": gsi["projection"]},
                }
            ],
        )
    except dynamodb.exceptions.ResourceInUseException:
        pass
    dynamodb.get_waiter("table_exists").wait(TableName=TABLE)
    try:
        dynamodb.update_time_to_live(
            TableName=TABLE, TimeToLiveSpecification={"AttributeName": t["ttlAttribute"], "Enabled": True}
        )
    except dynamodb.exceptions.ClientError as error:
        if "already enabled" not in str(error).lower():
            raise


def create_queues(name, q):
    sqs = client("sqs")
    dlq_url = sqs.create_queue(
        QueueName=f"{name}-dlq", Attributes={"MessageRetentionPeriod": str(q["deadLetterRetentionSeconds"])}
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": str(q["visibilityTimeoutSeconds"]),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": q["maxReceiveCount"]}),
        },
    )["QueueUrl"]
    return url


create_bucket()
create_table()
queue_url = create_queues(QUEUE, DEFINITIONS["queue"])
long_queue_url = create_queues(f"{QUEUE}-long", DEFINITIONS["longQueue"])
print(f"berth: bucket {BUCKET}, table {TABLE}, queues {queue_url} {long_queue_url} ready")
