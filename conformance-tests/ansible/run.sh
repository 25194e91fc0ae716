#!/usr/bin/env bash
# Ansible (amazon.aws) against a running nimbus: each playbook is played twice (the
# second play must report no change), then torn down.
#   NIMBUS_ENDPOINT                the nimbus to use
#   NIMBUS_ANSIBLE_ACCESS_KEY/_SECRET_KEY   a credential pair of its own (Ansible masks the
#                                  secret's value everywhere in its output)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
: "${NIMBUS_ENDPOINT:?}" "${NIMBUS_ANSIBLE_ACCESS_KEY:?}" "${NIMBUS_ANSIBLE_SECRET_KEY:?}"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0 \
    ANSIBLE_PYTHON_INTERPRETER="$(command -v python)" ANSIBLE_STDOUT_CALLBACK=default ANSIBLE_DISPLAY_SKIPPED_HOSTS=0
unset AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_PROFILE
ansible-galaxy collection list amazon.aws 2>/dev/null | grep amazon.aws

for playbook in ${ANSIBLE_PLAYBOOKS:-$(cd "$here" && ls *.yml)}; do
    echo "=== ansible: $playbook (build)"
    ansible-playbook -i localhost, "$here/$playbook" -e phase=build
    echo "=== ansible: $playbook (again: nothing may change)"
    if ! out="$(ansible-playbook -i localhost, "$here/$playbook" -e phase=build)"; then
        echo "$out"
        echo "ansible $playbook: the second play failed"
        ansible-playbook -i localhost, "$here/$playbook" -e phase=teardown >/dev/null || true
        exit 1
    fi
    echo "$out" | tail -n 5
    if ! grep -Eq 'localhost +: ok=[0-9]+ +changed=0 +unreachable=0 +failed=0' <<<"$out"; then
        echo "$out" | grep -E '^(changed|TASK)' | grep -B1 '^changed' || true
        echo "ansible $playbook: the second play changed something"
        ansible-playbook -i localhost, "$here/$playbook" -e phase=teardown >/dev/null || true
        exit 1
    fi
    echo "=== ansible: $playbook (teardown)"
    ansible-playbook -i localhost, "$here/$playbook" -e phase=teardown
done
echo "ansible: every playbook built, re-played without change and tore down"
