#!/usr/bin/env bash
# In place: the interface's IPv6 address count goes 1 -> 3 -> 2; each apply leaves a plan
# without changes and the addresses Terraform reads lie in the subnet's /64 (run in the
# configuration's working directory).
set -euo pipefail
for n in 3 2; do
    terraform apply -no-color -auto-approve -input=false -var "eni_ipv6_count=$n" >/dev/null
    set +e
    terraform plan -no-color -detailed-exitcode -input=false -var "eni_ipv6_count=$n" > plan.txt
    rc=$?
    set -e
    if [ $rc -ne 0 ]; then
        cat plan.txt
        echo "terraform ipv6: the plan after eni_ipv6_count=$n is not empty (exit $rc)"
        exit 1
    fi
    got="$(terraform output -json eni_ipv6 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
    if [ "$got" != "$n" ]; then
        echo "terraform ipv6: eni_ipv6_count=$n applied but the interface has $got IPv6 addresses"
        exit 1
    fi
    echo "terraform ipv6: eni_ipv6_count=$n applied in place, no drift"
done
got="$(terraform output -json instance_ipv6 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
[ "$got" = 2 ] || { echo "terraform ipv6: the instance has $got IPv6 addresses, not 2"; exit 1; }
