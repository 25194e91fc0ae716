#!/usr/bin/env bash
# Terraform with the hashicorp/aws provider against a running nimbus:
# for each configuration here, apply, a plan that must show no changes, its checks, destroy.
#   NIMBUS_ENDPOINT   the nimbus to use (conformance-tests/run sets it)
#   TF_CONFIGS        which configurations (default: every directory here)
#   TF_JOBS           how many configurations run at once (default 3)
# Most of a configuration's time is the provider starting and waiting on nimbus's lifecycles,
# not CPU, so configurations run side by side, each in its own working directory. A
# configuration that changes account-wide settings other configurations could observe
# (EBS encryption by default, default credit specifications, open capacity reservations)
# has a RUN_ALONE file and runs while nothing else does.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
endpoint="${NIMBUS_ENDPOINT:?NIMBUS_ENDPOINT is not set}"
command -v terraform >/dev/null || { echo "terraform is not installed"; exit 1; }
jobs="${TF_JOBS:-3}"

# The provider comes from the machine's local mirror; no registry is reachable.
mirror="${TF_PLUGIN_MIRROR:-$(find / -maxdepth 2 -type d -name tf-plugins 2>/dev/null | head -n 1)}"
[ -n "$mirror" ] || { echo "no tf-plugins mirror found"; exit 1; }
work="$here/../.work/terraform"
rm -rf "$work" && mkdir -p "$work"
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

# Every configuration uses the same provider (provider.tf), so one `terraform init` serves all:
# each working directory gets a copy of its small .terraform (a link into the mirror) and lock file.
mkdir -p "$work/.init" && cp "$here/provider.tf" "$work/.init/"
(cd "$work/.init" && terraform init -no-color -input=false >/dev/null)

# apply, empty plan, checks, destroy: one configuration in its own directory.
one_config() {
    local cfg="$1" dir="$work/$1" started=$SECONDS rc
    mkdir -p "$dir" && cp "$here/$cfg"/*.tf "$dir/" && cp "$here/provider.tf" "$dir/"
    cp -a "$work/.init/.terraform" "$work/.init/.terraform.lock.hcl" "$dir/"
    cd "$dir"
    terraform apply -no-color -auto-approve -input=false
    set +e
    terraform plan -no-color -detailed-exitcode -input=false > plan.txt
    rc=$?
    set -e
    if [ $rc -ne 0 ]; then
        cat plan.txt
        echo "terraform $cfg: the plan after apply is not empty (exit $rc)"
        terraform destroy -no-color -auto-approve -input=false >/dev/null || true
        return 1
    fi
    echo "terraform $cfg: plan after apply shows no changes"
    if [ -x "$here/$cfg/check.sh" ]; then "$here/$cfg/check.sh"; fi
    terraform destroy -no-color -auto-approve -input=false
    if [ -x "$here/$cfg/check-destroyed.sh" ]; then "$here/$cfg/check-destroyed.sh"; fi
    echo "terraform $cfg: passed in $((SECONDS - started)) s"
}

configs="$(echo ${TF_CONFIGS:-$(cd "$here" && ls -d */ | tr -d /)})"
# The longest configurations start first, so that the last minutes are not one of them alone.
slow_first="compute dedicated_hosts vpc ipv6 ipam fleet"
ordered="$(for cfg in $slow_first; do if [[ " $configs " == *" $cfg "* ]]; then echo "$cfg"; fi; done
for cfg in $configs; do if [[ " $slow_first " != *" $cfg "* ]]; then echo "$cfg"; fi; done)"
alone=() together=()
for cfg in $ordered; do
    [ -d "$here/$cfg" ] || { echo "terraform: no configuration $cfg"; exit 1; }
    if [ -e "$here/$cfg/RUN_ALONE" ]; then alone+=("$cfg"); else together+=("$cfg"); fi
done

failed=()
# A configuration's output goes to its log, printed whole when it ends, so that logs of
# configurations running side by side do not interleave.
finish() {
    local cfg="$1" rc="$2"
    echo "=== terraform: $cfg (exit $rc)"
    cat "$work/${cfg//\//_}.log"
    [ "$rc" = 0 ] || failed+=("$cfg")
}

for cfg in "${alone[@]}"; do
    set +e
    (set -e; one_config "$cfg") > "$work/${cfg//\//_}.log" 2>&1
    rc=$?
    set -e
    finish "$cfg" $rc
done

declare -A running=()
reap() {
    local pid rc
    set +e
    wait -n -p pid "${!running[@]}"
    rc=$?
    set -e
    finish "${running[$pid]}" $rc
    unset "running[$pid]"
}
for cfg in "${together[@]}"; do
    while [ ${#running[@]} -ge "$jobs" ]; do reap; done
    (set -e; one_config "$cfg") > "$work/${cfg//\//_}.log" 2>&1 &
    running[$!]="$cfg"
done
while [ ${#running[@]} -gt 0 ]; do reap; done

if [ ${#failed[@]} -gt 0 ]; then
    echo "terraform: FAILED: ${failed[*]}"
    exit 1
fi
echo "terraform: all configurations applied, planned clean and destroyed"
