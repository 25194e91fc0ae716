#!/usr/bin/env bash
# After apply: the request is active and fulfilled, both instances are Spot Instances
# naming their requests. Their request and instance ids are kept for check-destroyed.sh
# (other configurations may run Spot Instances in the region at the same time).
set -euo pipefail
aws() { command aws --endpoint-url "$NIMBUS_ENDPOINT" --region eu-central-1 "$@"; }
state="$(terraform output -raw worker_state)"
worker="$(aws ec2 describe-spot-instance-requests --filters Name=tag:Name,Values=nimbus-spot-worker Name=state,Values=active \
    --query 'SpotInstanceRequests[].[SpotInstanceRequestId,InstanceId]' --output text)"
batch="$(aws ec2 describe-instances --filters Name=tag:Name,Values=nimbus-spot-batch \
    Name=instance-state-name,Values=pending,running \
    --query 'Reservations[].Instances[].[SpotInstanceRequestId,InstanceId,InstanceLifecycle]' --output text)"
echo "worker request $state ($worker), batch instance ($batch)"
read -r worker_request worker_instance <<<"$worker"
read -r batch_request batch_instance batch_lifecycle <<<"$batch"
[ "$state" = active ] && [ "$batch_lifecycle" = spot ] && [ -n "$worker_instance" ] && [ -n "$batch_request" ] \
    || { echo "terraform spot: not as expected"; exit 1; }
echo "$worker_request $batch_request" > spot-requests.txt
echo "$worker_instance $batch_instance" > spot-instances.txt
