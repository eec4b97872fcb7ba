# Shared by rspe's scripts: sourced, never run.
# shellcheck shell=bash

RSPE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RSPE_BIN="$RSPE_ROOT/target/release/rspe"
RSPECTL_BIN="$RSPE_ROOT/target/release/rspectl"
# Debian's python3, which has scapy (a pyenv python earlier on PATH would not).
PY=/usr/bin/python3

# EAL memory arguments for one instance among several: huge pages when enough are free
# (--in-memory: no files, instances side by side), otherwise plain memory.
eal_mem_args() {
    local free
    free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo 2>/dev/null || echo 0)
    if [ "${RSPE_NO_HUGE:-0}" != 1 ] && [ "${free:-0}" -ge 128 ]; then
        echo "--in-memory --no-pci"
    else
        echo "--no-huge -m 512 --no-shconf --no-pci"
    fi
}

# Waits until a control socket answers, or the daemon (pid $2) dies, or $3 seconds pass.
wait_socket() {
    local sock=$1 pid=$2 secs=${3:-30} i
    for ((i = 0; i < secs * 10; i++)); do
        if "$RSPECTL_BIN" --socket "$sock" /interface print >/dev/null 2>&1; then
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# A check: `check "what" command...`; counts passes, records failures (showing what the
# lab's `on_fail`, when it has one, prints), never exits.
CHECKS_OK=0
CHECKS_FAILED=0
check() {
    local what=$1
    shift
    if "$@"; then
        CHECKS_OK=$((CHECKS_OK + 1))
        echo "  ok   $what"
    else
        CHECKS_FAILED=$((CHECKS_FAILED + 1))
        echo "  FAIL $what"
        # A lab may define `on_fail` to show the state a failure needs to be understood.
        if declare -F on_fail >/dev/null; then on_fail 2>&1 | sed 's/^/       | /'; fi
    fi
}

# Ends a lab: `NAME: ok (K checks)` and exit 0 only when every check passed.
lab_result() {
    local name=$1
    if [ "$CHECKS_FAILED" -eq 0 ] && [ "$CHECKS_OK" -gt 0 ]; then
        echo "$name: ok ($CHECKS_OK checks)"
        return 0
    fi
    echo "$name: FAILED ($CHECKS_FAILED of $((CHECKS_OK + CHECKS_FAILED)) checks)"
    return 1
}

# Pings from namespace $1 to $2, $3 times (more ping options after them); prints how many
# replies came, or "dup" when a reply came twice: something besides the router answered
# too (the kernel on a port's device), which a lab must notice, not count as a pass.
ping_replies() {
    local ns=$1 dst=$2 n=$3 out
    shift 3
    out=$(ip netns exec "$ns" ping -c "$n" -i 0.2 -W 2 "$@" "$dst" 2>/dev/null)
    if grep -q "duplicates\|DUP!" <<<"$out"; then
        echo dup
        return
    fi
    awk '/packets transmitted/ {print $4}' <<<"$out"
}

# Waits until `command...` succeeds, trying every 0.1 s for $1 seconds (however long each
# try takes).
wait_for() {
    local end=$((SECONDS + $1))
    shift
    while :; do
        "$@" && return 0
        [ "$SECONDS" -lt "$end" ] || return 1
        sleep 0.1
    done
}

# FRR in a namespace: `frr_up NS DIR DAEMON...` starts each daemon (zebra first) with its
# vty socket and logs in DIR, then loads DIR/frr.conf; `frr_down` stops every FRR started.
FRR_PIDS=()
frr_up() {
    local ns=$1 dir=$2 d i
    shift 2
    touch "$dir/vtysh.conf"
    chown -R frr:frr "$dir"
    for d in "$@"; do
        ip netns exec "$ns" /usr/lib/frr/"$d" --vty_socket "$dir" -z "$dir/zserv.api" \
            -i "$dir/$d.frr-pid" -f /dev/null --log "file:$dir/$d.log" -A 127.0.0.1 -P 0 \
            >>"$dir/$d.stdout" 2>&1 </dev/null &
        FRR_PIDS+=($!)
        for ((i = 0; i < 50; i++)); do
            [ "$d" = zebra ] && [ -S "$dir/zserv.api" ] && break
            [ "$d" != zebra ] && [ -S "$dir/$d.vty" ] && break
            sleep 0.1
        done
        [ "$i" -lt 50 ] || return 1
    done
    sleep 0.5
    vtysh --vty_socket "$dir" --config_dir "$dir" -b >"$dir/boot.log" 2>&1
}
frr_down() {
    local pid
    for pid in "${FRR_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
        rm -rf /var/tmp/frr/*."$pid" 2>/dev/null
    done
    FRR_PIDS=()
}

# BIRD 2 in a namespace: `bird_up NS CONF SOCKET` (BIRD_PIDS), `bird_down` stops them all.
BIRD_PIDS=()
bird_up() {
    local ns=$1 conf=$2 sock=$3 i
    ip netns exec "$ns" bird -f -c "$conf" -s "$sock" >"$conf.out" 2>&1 </dev/null &
    BIRD_PIDS+=($!)
    for ((i = 0; i < 50; i++)); do [ -S "$sock" ] && return 0; sleep 0.1; done
    return 1
}
bird_down() {
    local pid
    for pid in "${BIRD_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
    done
    BIRD_PIDS=()
}
