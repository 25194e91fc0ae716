#!/usr/bin/env bash
# Terraform with the hashicorp/aws provider against a running nimbus:
# for each configuration here, init, apply, a plan that must show no changes, destroy.
#   NIMBUS_ENDPOINT   the nimbus to use (conformance-tests/run sets it)
#   TF_CONFIGS        which configurations (default: every directory here)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
endpoint="${NIMBUS_ENDPOINT:?NIMBUS_ENDPOINT is not set}"
command -v terraform >/dev/null || { echo "terraform is not installed"; exit 1; }

# The provider comes from the machine's local mirror; no registry is reachable.
mirror="${TF_PLUGIN_MIRROR:-$(find / -maxdepth 2 -type d -name tf-plugins 2>/dev/null | head -n 1)}"
[ -n "$mirror" ] || { echo "no tf-plugins mirror found"; exit 1; }
work="$here/../.work/terraform"
mkdir -p "$work"
cat > "$work/terraform.rc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}
RC
export TF_CLI_CONFIG_FILE="$work/terraform.rc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
export TF_VAR_endpoint="$endpoint"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=eu-central-1
unset AWS_ENDPOINT_URL AWS_PROFILE AWS_DEFAULT_PROFILE

configs="${TF_CONFIGS:-$(cd "$here" && ls -d */ | tr -d /)}"
for cfg in $configs; do
    echo "=== terraform: $cfg"
    started=$SECONDS
    dir="$work/$cfg"
    rm -rf "$dir" && mkdir -p "$dir" && cp "$here/$cfg"/*.tf "$dir/" && cp "$here/provider.tf" "$dir/"
    cd "$dir"
    terraform init -no-color -input=false >/dev/null
    terraform apply -no-color -auto-approve -input=false
    set +e
    terraform plan -no-color -detailed-exitcode -input=false > plan.txt
    rc=$?
    set -e
    if [ $rc -ne 0 ]; then
        cat plan.txt
        echo "terraform $cfg: the plan after apply is not empty (exit $rc)"
        terraform destroy -no-color -auto-approve -input=false >/dev/null || true
        exit 1
    fi
    echo "terraform $cfg: plan after apply shows no changes"
    if [ -x "$here/$cfg/check.sh" ]; then "$here/$cfg/check.sh"; fi
    terraform destroy -no-color -auto-approve -input=false
    if [ -x "$here/$cfg/check-destroyed.sh" ]; then "$here/$cfg/check-destroyed.sh"; fi
    echo "terraform $cfg: passed in $((SECONDS - started)) s"
    cd "$here"
done
echo "terraform: all configurations applied, planned clean and destroyed"
