#!/usr/bin/env bash
# After apply: the archived snapshot is in the archive tier, fast restores are enabled in
# the zone, and the imported snapshot is complete and tagged.
set -euo pipefail
aws() { command aws --endpoint-url "$NIMBUS_ENDPOINT" --region eu-central-1 "$@"; }
tier="$(aws ec2 describe-snapshots --filters Name=tag:Name,Values=nimbus-ebs-tail-archived \
    --query 'Snapshots[0].StorageTier' --output text)"
fast="$(aws ec2 describe-fast-snapshot-restores --filters Name=availability-zone,Values=eu-central-1a \
    --query 'FastSnapshotRestores[?State==`enabled`] | length(@)')"
imported="$(aws ec2 describe-snapshots --filters Name=tag:Name,Values=nimbus-ebs-tail-imported \
    --query 'Snapshots[0].[State,Description]' --output text)"
echo "archived tier $tier, fast restores enabled $fast, imported: $imported"
[ "$tier" = archive ] && [ "$fast" = 1 ] && [ "$imported" = "completed	nimbus-ebs-tail imported disk" ] \
    || { echo "terraform ebs_tail: not as expected"; exit 1; }
