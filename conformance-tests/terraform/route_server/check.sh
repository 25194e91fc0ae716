#!/usr/bin/env bash
# The endpoint's interface has an address of its subnet.
set -euo pipefail
got="$(terraform output -raw endpoint_eni_address)"
case "$got" in
10.81.1.*) echo "terraform route_server: endpoint interface at $got in 10.81.1.0/24" ;;
*) echo "terraform route_server: endpoint interface at $got, not in 10.81.1.0/24"; exit 1 ;;
esac
