#!/usr/bin/env bash
# The instance sits on the host it was placed on; the family host's auto-placement goes
# on and off again in place with no drift (run in the configuration's working directory).
set -euo pipefail
[ "$(terraform output -raw instance_host)" = "$(terraform output -raw host_id)" ] \
    || { echo "terraform dedicated_hosts: the instance is not on its host"; exit 1; }
for v in on off; do
    terraform apply -no-color -auto-approve -input=false -var "auto_placement=$v" >/dev/null
    set +e
    terraform plan -no-color -detailed-exitcode -input=false -var "auto_placement=$v" > plan.txt
    rc=$?
    set -e
    if [ $rc -ne 0 ]; then
        cat plan.txt
        echo "terraform dedicated_hosts: the plan after auto_placement=$v is not empty (exit $rc)"
        exit 1
    fi
    got="$(terraform state show -no-color aws_ec2_host.m5_family | sed -n 's/^ *auto_placement *= *"\(.*\)"/\1/p')"
    [ "$got" = "$v" ] || { echo "terraform dedicated_hosts: auto_placement is $got, not $v"; exit 1; }
    echo "terraform dedicated_hosts: auto_placement=$v applied in place, no drift"
done
