#!/bin/sh
# nimbus instance init: PID 1's script in a sandbox (under tini when the image has it).
# It does at boot what cloud-init and the init system do on EC2, in the steps a root
# filesystem with sh, coreutils and sshd needs. Everything it prints reaches the console
# log (GetConsoleOutput). The runtime writes /run/nimbus/ (read-only here) before boot.
. /run/nimbus/env
now() { date -u '+%a, %d %b %Y %H:%M:%S +0000'; }
echo "Cloud-init v. 23.1 (nimbus) running 'init' at $(now). Up 0.00 seconds."
echo "ci-info: instance $INSTANCE_ID image $IMAGE_ID address $LOCAL_IPV4"
printf '127.0.0.1 localhost\n%s %s\n' "$LOCAL_IPV4" "$(hostname)" > /etc/hosts 2>/dev/null

SEM=/var/lib/cloud/instances/$INSTANCE_ID/sem
mkdir -p "$SEM"

# The image's default user, with the key pair's public key and password-less sudo.
if ! id "$DEFAULT_USER" >/dev/null 2>&1; then
    useradd -m -s /bin/bash -U "$DEFAULT_USER" 2>&1 || adduser -D -s /bin/sh "$DEFAULT_USER" 2>&1
fi
if [ -d /etc/sudoers.d ]; then
    echo "$DEFAULT_USER ALL=(ALL) NOPASSWD:ALL" > /etc/sudoers.d/90-cloud-init-users
    chmod 0440 /etc/sudoers.d/90-cloud-init-users
fi
HOME_DIR=$(getent passwd "$DEFAULT_USER" | cut -d: -f6)
if [ -s /run/nimbus/authorized_keys ] && [ ! -e "$SEM/keys" ] && [ -n "$HOME_DIR" ]; then
    mkdir -p "$HOME_DIR/.ssh"
    cat /run/nimbus/authorized_keys >> "$HOME_DIR/.ssh/authorized_keys"
    chmod 700 "$HOME_DIR/.ssh"; chmod 600 "$HOME_DIR/.ssh/authorized_keys"
    chown -R "$DEFAULT_USER:" "$HOME_DIR/.ssh" 2>/dev/null || chown -R "$DEFAULT_USER" "$HOME_DIR/.ssh"
    touch "$SEM/keys"
fi

# Host keys are made on the instance's first boot, as cloud-init does.
if [ -x /usr/sbin/sshd ]; then
    for t in ed25519 ecdsa; do
        [ -f /etc/ssh/ssh_host_${t}_key ] || ssh-keygen -q -t $t -N '' -f /etc/ssh/ssh_host_${t}_key
    done
    echo "-----BEGIN SSH HOST KEY FINGERPRINTS-----"
    for k in /etc/ssh/ssh_host_*_key.pub; do ssh-keygen -l -f "$k"; done
    echo "-----END SSH HOST KEY FINGERPRINTS-----"
    echo "-----BEGIN SSH HOST KEY KEYS-----"
    cat /etc/ssh/ssh_host_*_key.pub
    echo "-----END SSH HOST KEY KEYS-----"
    mkdir -p /run/sshd
    /usr/sbin/sshd -o HostKey=/etc/ssh/ssh_host_ed25519_key -o HostKey=/etc/ssh/ssh_host_ecdsa_key \
        -o PasswordAuthentication=no -o UseDNS=no
fi

# Services enabled for runlevel 2 (update-rc.d, Ansible's service module on sysvinit).
for s in /etc/rc2.d/S*; do
    [ -x "$s" ] || continue
    case "$s" in *ssh) continue ;; esac
    "$s" start 2>&1
done
[ -x /etc/rc.local ] && /etc/rc.local 2>&1

echo "Cloud-init v. 23.1 (nimbus) running 'modules:final' at $(now). Up 1.00 seconds."
[ -f /run/nimbus/notes ] && cat /run/nimbus/notes
# User data runs once per instance, its output on the console and in cloud-init's log.
if [ -f /run/nimbus/user-data ] && [ ! -e "$SEM/user-data" ]; then
    touch "$SEM/user-data"
    mkdir -p /var/lib/cloud/instance/scripts
    cp /run/nimbus/user-data /var/lib/cloud/instance/scripts/part-001
    chmod 700 /var/lib/cloud/instance/scripts/part-001
    /var/lib/cloud/instance/scripts/part-001 2>&1 | tee -a /var/log/cloud-init-output.log
fi
mkdir -p /var/lib/cloud/instance
date -u > /var/lib/cloud/instance/boot-finished
echo "Cloud-init v. 23.1 (nimbus) finished at $(now). Datasource DataSourceEc2.  Up 1.00 seconds"
exec sleep infinity
