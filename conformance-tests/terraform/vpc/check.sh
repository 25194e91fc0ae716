#!/usr/bin/env bash
# In place: the NAT gateway gains two secondary Elastic IPs, then gives one back; each
# apply leaves a plan without changes (run in the configuration's working directory).
set -euo pipefail
for n in 2 1; do
    terraform apply -no-color -auto-approve -input=false -var "nat_secondary_eips=$n" >/dev/null
    set +e
    terraform plan -no-color -detailed-exitcode -input=false -var "nat_secondary_eips=$n" > plan.txt
    rc=$?
    set -e
    if [ $rc -ne 0 ]; then
        cat plan.txt
        echo "terraform vpc: the plan after nat_secondary_eips=$n is not empty (exit $rc)"
        exit 1
    fi
    got="$(terraform state show -no-color aws_nat_gateway.main | grep -c 'eipalloc-' || true)"
    echo "terraform vpc: nat_secondary_eips=$n applied in place, no drift ($got allocation ids in state)"
done
