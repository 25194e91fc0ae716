#!/usr/bin/env bash
# After destroy: no snapshot of the config is left, and no fast restore is enabled.
set -euo pipefail
aws() { command aws --endpoint-url "$NIMBUS_ENDPOINT" --region eu-central-1 "$@"; }
left="$(aws ec2 describe-snapshots --owner-ids self \
    --filters 'Name=tag:Name,Values=nimbus-ebs-tail-archived,nimbus-ebs-tail-fast,nimbus-ebs-tail-imported' \
    --query 'length(Snapshots)')"
fast="$(aws ec2 describe-fast-snapshot-restores --filters Name=state,Values=enabling,optimizing,enabled \
    --query 'length(FastSnapshotRestores)')"
echo "snapshots left $left, fast restores left $fast"
[ "$left" = 0 ] && [ "$fast" = 0 ] || { echo "terraform ebs_tail: destroy left something"; exit 1; }
