#!/usr/bin/env bash
# After `terraform destroy`: the configuration's VPC is gone (other configurations may share the
# region at the same time, so look by name).
set -euo pipefail
left="$(aws --endpoint-url "$NIMBUS_ENDPOINT" --region eu-central-1 ec2 describe-vpcs \
    --filters Name=tag:Name,Values=nimbus-tf-vpc --query 'length(Vpcs)')"
[ "$left" = 0 ] || { echo "terraform vpc: destroy left its VPC behind"; exit 1; }
echo "terraform vpc: its VPC is gone"
