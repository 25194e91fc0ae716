#!/usr/bin/env bash
# Phase 2 in place (no replacement): maintenance options, private DNS name options and the
# VPC's tenancy; then a plan without changes (run in the configuration's working directory).
set -euo pipefail
id_before="$(terraform output -raw instance_id)"
terraform plan -no-color -input=false -var phase=2 > plan2.txt
if grep -q 'must be replaced' plan2.txt; then
    cat plan2.txt
    echo "terraform instance_settings: phase 2 replaces a resource instead of changing it in place"
    exit 1
fi
terraform apply -no-color -auto-approve -input=false -var phase=2 >/dev/null
set +e
terraform plan -no-color -detailed-exitcode -input=false -var phase=2 > plan.txt
rc=$?
set -e
if [ $rc -ne 0 ]; then
    cat plan.txt
    echo "terraform instance_settings: the plan after phase 2 is not empty (exit $rc)"
    exit 1
fi
[ "$(terraform output -raw instance_id)" = "$id_before" ] || { echo "terraform instance_settings: the instance was replaced"; exit 1; }
state="$(terraform state show -no-color aws_instance.web)"
for want in 'auto_recovery *= "disabled"' 'enable_resource_name_dns_a_record *= true'; do
    grep -Eq "$want" <<<"$state" || { echo "terraform instance_settings: the instance lacks $want"; echo "$state"; exit 1; }
done
echo "terraform instance_settings: phase 2 applied in place, no drift"
