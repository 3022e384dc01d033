#!/usr/bin/env bash
# A throw-away OpenSSH SFTP server for Intake's tests, on 127.0.0.1, with its own config, host
# key and client key, internal-sftp only, chrooted onto a test spool's inbox. Needs root and
# Debian's openssh-server (installed by .ci/install-deps).
#
#   sftp-harness.sh start STATE_DIR CHROOT     prints the port; the server runs in the background
#   sftp-harness.sh stop STATE_DIR             stops it by its PID
#   sftp-harness.sh put STATE_DIR LOCAL REMOTE [KBITS]     upload (optionally slowed: sftp -l KBITS)
#   sftp-harness.sh put-p STATE_DIR LOCAL REMOTE           upload keeping the source's old mtime
#   sftp-harness.sh put-rename STATE_DIR LOCAL REMOTE      upload to REMOTE.part, then rename
#   sftp-harness.sh put-abort STATE_DIR LOCAL REMOTE KBITS SECONDS
#                                              a slow upload whose client is killed after SECONDS
#
# OpenSSH insists that the chroot and all its parents are root-owned and not group- or
# world-writable, so CHROOT must not be under /tmp.
set -euo pipefail
command=${1:?command}
state=${2:?state dir}

client() {
  local port
  port=$(cat "$state/port")
  sftp -q -b - -i "$state/client_key" -P "$port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
       -o BatchMode=yes -o LogLevel=ERROR "$@" root@127.0.0.1
}

case "$command" in
  start)
    chroot_dir=${3:?chroot}
    mkdir -p "$state" /run/sshd
    chmod 755 "$state"
    [ -f "$state/host_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$state/host_key"
    [ -f "$state/client_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$state/client_key"
    cp "$state/client_key.pub" "$state/authorized_keys"
    chmod 600 "$state/authorized_keys"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    cat > "$state/sshd_config" <<CONFIG
Port $port
ListenAddress 127.0.0.1
HostKey $state/host_key
PidFile $state/sshd.pid
AuthorizedKeysFile $state/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding no
X11Forwarding no
Subsystem sftp internal-sftp
ChrootDirectory $chroot_dir
ForceCommand internal-sftp
MaxStartups 200
MaxSessions 200
CONFIG
    /usr/sbin/sshd -f "$state/sshd_config" -E "$state/sshd.log"
    echo "$port" > "$state/port"
    for _ in $(seq 1 50); do
      [ -s "$state/sshd.pid" ] && break
      sleep 0.1
    done
    [ -s "$state/sshd.pid" ] || { echo "sshd did not start:" >&2; cat "$state/sshd.log" >&2; exit 1; }
    echo "$port"
    ;;
  stop)
    if [ -s "$state/sshd.pid" ]; then
      kill "$(cat "$state/sshd.pid")" 2>/dev/null || true
      rm -f "$state/sshd.pid"
    fi
    ;;
  put)
    limit=()
    [ -n "${5:-}" ] && limit=(-l "$5")
    echo "put $3 $4" | client "${limit[@]}"
    ;;
  put-p)
    echo "put -p $3 $4" | client
    ;;
  put-rename)
    printf 'put %s %s.part\nrename %s.part %s\n' "$3" "$4" "$4" "$4" | client
    ;;
  put-abort)
    echo "put $3 $4" > "$state/abort-batch.$$"
    port=$(cat "$state/port")
    sftp -q -b "$state/abort-batch.$$" -i "$state/client_key" -P "$port" -o StrictHostKeyChecking=no \
         -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR -l "$5" root@127.0.0.1 > /dev/null 2>&1 &
    upload=$!
    sleep "$6"
    # Kill sftp and the ssh it runs, as a dropped link would.
    pkill -KILL -P "$upload" || true
    kill -KILL "$upload" 2>/dev/null || true
    wait "$upload" 2>/dev/null || true
    rm -f "$state/abort-batch.$$"
    ;;
  *)
    echo "unknown command $command" >&2
    exit 64
    ;;
esac
