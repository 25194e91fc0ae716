#!/usr/bin/env bash
# The analyses' results as Terraform read them: SSH reachable, MySQL blocked by the
# destination's security group.
set -euo pipefail
[ "$(terraform output -raw ssh_path_found)" = "true" ] || { echo "ssh path not found"; exit 1; }
[ "$(terraform output -raw mysql_path_found)" = "false" ] || { echo "mysql path found"; exit 1; }
[ "$(terraform output -raw mysql_blocked_by)" = "ENI_SG_RULES_MISMATCH" ] || { echo "mysql blocked by $(terraform output -raw mysql_blocked_by)"; exit 1; }
echo "network insights: ssh reachable, mysql blocked by ENI_SG_RULES_MISMATCH"
