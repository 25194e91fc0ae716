#!/usr/bin/env bash
# After `terraform destroy`: only the default VPC is left in the configuration's region.
set -euo pipefail
left="$(aws --endpoint-url "$NIMBUS_ENDPOINT" --region eu-central-1 ec2 describe-vpcs --query 'Vpcs[].[VpcId,IsDefault]' --output text)"
echo "$left"
[ "$(echo "$left" | grep -c .)" = 1 ] && echo "$left" | grep -q True || { echo "terraform vpc: destroy left VPCs behind"; exit 1; }
echo "terraform vpc: only the default VPC is left"
