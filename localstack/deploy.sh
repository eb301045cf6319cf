#!/usr/bin/env bash
# Deploys the CDK app (infra/) to LocalStack with aws-cdk-local, then runs Berth's AWS
# integration suite against it. Needs Docker. See localstack/README.md.
#
#   LOCALSTACK_AUTH_TOKEN   needed for the full app: HTTP APIs (API Gateway v2) and Fargate are
#                           LocalStack Pro services; without it use `--resources-only`.
#   --resources-only        skip the CDK deploy: run the suite against the bucket, table and
#                           queues the init hook created.
set -euo pipefail
cd "$(dirname "$0")/.."

endpoint="http://localhost:4566"
export AWS_ENDPOINT_URL="$endpoint" AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"

docker compose -f localstack/docker-compose.yml up -d --wait

if [[ "${1:-}" != "--resources-only" ]]; then
  outputs="$(mktemp)"
  npx cdklocal bootstrap
  npx cdklocal deploy --all --require-approval never --outputs-file "$outputs"
  # The stacks export BucketName, TableName, QueueUrl and ApiUrl outputs; the suite only needs
  # the endpoint, but print them for BERTH_BACKEND=aws npm start against the deployed stage.
  node -e '
    const outputs = Object.values(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")));
    const all = Object.assign({}, ...outputs);
    const pick = (suffix) => Object.entries(all).find(([key]) => key.endsWith(suffix))?.[1] ?? "";
    console.log(`export BERTH_BUCKET=${pick("BucketName")}`);
    console.log(`export BERTH_TABLE=${pick("TableName")}`);
    console.log(`export BERTH_QUEUE_URL=${pick("QueueUrl")}`);
    console.log(`# API: ${pick("ApiUrl")}`);
  ' "$outputs"
fi

# The same suite CI runs against moto_server, pointed at LocalStack: each test file creates its
# own uniquely named resources there.
BERTH_TEST_AWS_ENDPOINT="$endpoint" npx vitest run test/adapters/aws test/e2e/aws-skopeo.test.ts
