#!/bin/bash
# From the project's shared interop kit (../shared/interop/frr-instance.sh), unchanged but for this line.
# frr-instance.sh start NAME CONFDIR | stop NAME | vtysh NAME [vtysh args...] | pids NAME
# Runs one isolated FRR 8.4 instance inside network namespace NAME (no /etc/frr, no systemd):
#   CONFDIR/frr.conf   integrated config, pushed with `vtysh -b --config_dir CONFDIR`
#   CONFDIR/daemons    daemon names, space separated (default: zebra staticd bgpd)
#   CONFDIR/zebra.args extra zebra args, e.g. "-n" (netns VRF backend)
#   CONFDIR/fake-mpls  if present: zebra gets a private /proc/sys/net with an empty mpls/ dir
# State (vty sockets, zserv.api, pid files, per-daemon logs): $RUN_ROOT/NAME/
set -u
RUN_ROOT=${RUN_ROOT:-/tmp/rspe-interop}
FRRBIN=/usr/lib/frr
cmd=${1:-}; name=${2:-}
[ -n "$cmd" ] && [ -n "$name" ] || { echo "usage: $0 start NAME CONFDIR | stop NAME | vtysh NAME [args] | pids NAME"; exit 2; }
RUN=$RUN_ROOT/$name

common() { # daemon -> common daemon args (runs as user frr; frr is in group frrvty)
  echo "--vty_socket $RUN -z $RUN/zserv.api -i $RUN/$1.frr-pid -f /dev/null --log file:$RUN/$1.log -A 127.0.0.1 -P 0"
}
alive() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

case $cmd in
start)
  CONF=${3:?CONFDIR required}; CONF=$(readlink -f "$CONF")
  ip netns pids "$name" >/dev/null 2>&1 || { echo "netns $name does not exist"; exit 1; }
  mkdir -p "$RUN"; chown frr:frr "$RUN"; echo "$CONF" > "$RUN/confdir"
  [ -f "$CONF/vtysh.conf" ] || touch "$CONF/vtysh.conf"
  daemons=$(cat "$CONF/daemons" 2>/dev/null || echo "zebra staticd bgpd")
  zargs=$(cat "$CONF/zebra.args" 2>/dev/null || true)
  started=0
  for d in $daemons; do
    if alive "$d"; then continue; fi
    rm -f "$RUN/$d.pid"; started=1
    extra=""
    case $d in zebra) extra="$zargs" ;; ldpd) extra="--ctl_socket $RUN" ;; esac
    fm=0; [ "$d" = zebra ] && [ -f "$CONF/fake-mpls" ] && fm=1
    nm=""; [ -f "$CONF/netns-map" ] && nm="$CONF/netns-map"
    # Every daemon runs through this wrapper inside "ip netns exec NAME" (private, slave mount ns):
    #  * fake-mpls (zebra only): the kernel has no MPLS (CONFIG_MPLS_ROUTING unset) and zebra only
    #    stat()s /proc/sys/net/mpls to decide whether MPLS is available. /proc/sys/net becomes a
    #    tmpfs with the real entries bind-mounted back plus an empty mpls/. Labels then flow through
    #    zebra (LDP FTNs -> NHT labels); kernel LSP / labeled-route installs fail harmlessly, and
    #    routes whose only label is implicit-null install as plain IP routes.
    #  * netns-map (all daemons): lines "VRFNAME HOST_NETNS". /run/netns becomes a tmpfs holding
    #    only those namespaces, under the VRF names, so the netns VRF backend (zebra -n) sees
    #    exactly our VRFs (not every netns on the host) and the host netns may be named differently.
    ip netns exec "$name" sh -c '
      set -e; RN="$1"; FM="$2"; NM="$3"; shift 3
      if [ "$FM" = 1 ]; then
        mkdir -p "$RN/.realnet"; mount --bind /proc/sys/net "$RN/.realnet"
        mount -t tmpfs -o mode=0755 fakenet /proc/sys/net
        for p in "$RN"/.realnet/*; do b=${p##*/}
          if [ -d "$p" ]; then mkdir "/proc/sys/net/$b"; else touch "/proc/sys/net/$b"; fi
          mount --bind "$p" "/proc/sys/net/$b"; done
        mkdir -p /proc/sys/net/mpls/conf
      fi
      if [ -n "$NM" ]; then
        mkdir -p "$RN/.hostnetns"; mount --rbind /run/netns "$RN/.hostnetns"
        mount -t tmpfs -o mode=0755 labnetns /run/netns
        while read -r vrf host; do [ -n "$vrf" ] || continue
          touch "/run/netns/$vrf"; mount --bind "$RN/.hostnetns/$host" "/run/netns/$vrf"; done < "$NM"
      fi
      exec "$@"' frrwrap "$RUN" "$fm" "$nm" "$FRRBIN/$d" $(common "$d") $extra \
      >>"$RUN/$d.stdout" 2>&1 </dev/null &
    # not daemonized (-d would fork and leave the parent's /var/tmp/frr/<daemon>.<pid> behind):
    # ip netns exec and sh both exec, so $! is the daemon's own PID
    echo $! > "$RUN/$d.pid"
    for i in $(seq 1 50); do
      [ "$d" = zebra ] && [ -S "$RUN/zserv.api" ] && break
      [ "$d" != zebra ] && [ -S "$RUN/$d.vty" ] && break
      alive "$d" || break; sleep 0.1; done
    alive "$d" || { echo "failed to start $name/$d:"; tail -5 "$RUN/$d.stdout" "$RUN/$d.log" 2>/dev/null; exit 1; }
  done
  if [ $started = 1 ] && [ -f "$CONF/frr.conf" ]; then
    sleep 0.5
    vtysh --vty_socket "$RUN" --config_dir "$CONF" -b >"$RUN/vtysh-boot.log" 2>&1 \
      || { echo "$name: vtysh -b reported errors (see $RUN/vtysh-boot.log):"; cat "$RUN/vtysh-boot.log"; }
  fi
  ;;
stop)
  for p in "$RUN"/*.pid; do
    [ -f "$p" ] || continue
    pid=$(cat "$p"); d=$(basename "$p" .pid)
    kids=$(ps -o pid= --ppid "$pid" 2>/dev/null)   # ldpd forks lde/ldpe children
    if kill "$pid" 2>/dev/null; then
      for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
    fi
    rm -f "$p"
    # FRR keeps per-process scratch dirs in /var/tmp/frr/<daemon>.<pid> (ldpd: also its 2 children)
    for k in $pid $kids; do rm -rf "/var/tmp/frr/$d.$k"; done
  done
  ;;
vtysh)
  shift 2; exec vtysh --vty_socket "$RUN" "$@"
  ;;
pids)
  for p in "$RUN"/*.pid; do [ -f "$p" ] && echo "$(basename "$p" .pid) $(cat "$p")"; done
  ;;
*) echo "unknown command $cmd"; exit 2 ;;
esac
