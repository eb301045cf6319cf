#!/usr/bin/env bash
# Deploys the dev stage of the CDK app (infra/) to LocalStack with aws-cdk-local, then runs
# Berth's AWS integration suite against it. Needs Docker. See localstack/README.md.
#
#   LOCALSTACK_AUTH_TOKEN   needed for the API stack: HTTP APIs (API Gateway v2) are a LocalStack
#                           Pro service; without it use `--resources-only`.
#   --resources-only        skip the CDK deploy: run the suite against the bucket, table and
#                           queues the init hook created.
#
# Only the dev stage is deployed (`-c stages=dev`, stacks `dev/*`): the other stages name real
# domains, several regions and the upload service (Fargate and load balancers, Pro only), and they
# retain their data. Cross-stack references are classic exports, since LocalStack may not resolve
# `Fn::GetStackOutput`.
set -euo pipefail
cd "$(dirname "$0")/.."

endpoint="http://localhost:4566"
account="000000000000"
export AWS_ENDPOINT_URL="$endpoint" AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"

docker compose -f localstack/docker-compose.yml up -d --wait

if [[ "${1:-}" != "--resources-only" ]]; then
  # The dev stage's regions, from the committed configuration (the stacks deploy there, not to
  # AWS_REGION): each needs the CDK bootstrap stack.
  read -r -a regions < <(npx tsx -e '
    import("./infra/config/stages.ts").then(({ stages }) => {
      const dev = stages.find((stage) => stage.name === "dev");
      if (!dev) throw new Error("infra/config/stages.ts has no dev stage");
      console.log(dev.regions.join(" "));
    });
  ')
  if [[ "${#regions[@]}" -eq 0 ]]; then
    echo "could not read the dev stage's regions from infra/config/stages.ts" >&2
    exit 1
  fi
  outputs="$(mktemp)"
  trap 'rm -f "$outputs"' EXIT
  npx cdklocal bootstrap "${regions[@]/#/aws://$account/}"
  npx cdklocal deploy 'dev/*' -c stages=dev \
    -c @aws-cdk/core:defaultCrossStackReferences=strong \
    --require-approval never --outputs-file "$outputs"
  # Outputs by stack: dev-Stateful-<region> has BlobBucketName, MetadataTableName, JobsQueueUrl
  # and AdminSecretArn; dev-Api-<region> has RegistryUrl and DockerLogin. Print them per region,
  # ready for BERTH_BACKEND=aws npm start against the deployed resources.
  node -e '
    const outputs = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    for (const region of process.argv.slice(2)) {
      const stateful = outputs[`dev-Stateful-${region}`] ?? {};
      const api = outputs[`dev-Api-${region}`] ?? {};
      console.log(`# dev, ${region}`);
      console.log(`export AWS_REGION=${region}`);
      console.log(`export BERTH_BUCKET=${stateful.BlobBucketName ?? ""}`);
      console.log(`export BERTH_TABLE=${stateful.MetadataTableName ?? ""}`);
      console.log(`export BERTH_QUEUE_URL=${stateful.JobsQueueUrl ?? ""}`);
      console.log(`# registry: ${api.RegistryUrl ?? "(no API stack output)"}`);
      if (stateful.AdminSecretArn) {
        console.log(`# admin password: aws --endpoint-url ${process.env.AWS_ENDPOINT_URL} --region ${region} secretsmanager get-secret-value --secret-id ${stateful.AdminSecretArn} --query SecretString --output text`);
      }
    }
  ' "$outputs" "${regions[@]}"
fi

# The same suite CI runs against moto_server, pointed at LocalStack: each test file creates its
# own uniquely named resources there.
BERTH_TEST_AWS_ENDPOINT="$endpoint" npx vitest run test/adapters/aws test/e2e/aws-skopeo.test.ts
