#!/usr/bin/env bash
# The interface made after the explicit reservation got the first address past it.
set -euo pipefail
got="$(terraform output -raw auto_address)"
[ "$got" = "10.79.1.16" ] || { echo "terraform subnet_cidr_reservation: interface got $got, not 10.79.1.16"; exit 1; }
echo "terraform subnet_cidr_reservation: automatic address $got skips the reserved 10.79.1.0/28"
