#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Security of the daemon's privileges, the control path and the session
# files.  The sampler (the pid file's process) runs as the sampler user with
# no capabilities and is not dumpable, its privileged parent keeps only
# CAP_SYS_PTRACE and CAP_KILL, the session dir is the sampler user's.  With
# a real unprivileged user (nobody): ctl refuses to act for it, and the daemon
# itself answers a valid request from it over a reachable socket with
# XP_REP_DENIED (SO_PEERCRED); session names are validated; the daemon
# never writes through a symlink planted in the session dir (meta, sample
# files, temporary names, kallsyms, the pid file, the log, current/
# itself); oversized and garbage messages cost an error, and the daemon
# survives them with bounded memory.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/lib.sh"
need_root
need_perf_events
need_sampler_user
id nobody >/dev/null 2>&1 || missing "the user nobody does not exist"
need_cmd runuser
RAWPY=$T/rawctl.py
cp "$(dirname "$0")/rawctl.py" "$RAWPY"
RAW="python3 $RAWPY $S/xenprofd.sock"
EV=--event=cpu-clock:1000000
chmod 0711 "$T"

check "start" ctl --start $EV --flush-interval=100
pid=$(cat "$S/xenprofd.pid")

# --- privileges (doc/xenprofd.8 PRIVILEGE SEPARATION) ----------------------
# The pid file's process is the sampler: the sampler user, no capability in
# any set, no_new_privs; its parent keeps CAP_SYS_PTRACE and CAP_KILL.
uid=$(id -u "$SAMPLER_USER")
st=$(awk '/^Uid:/ {u=$2" "$3" "$4" "$5} /^CapEff:/ {e=$2} /^CapBnd:/ {b=$2} /^CapPrm:/ {p=$2} /^CapInh:/ {i=$2} /^CapAmb:/ {a=$2} /^NoNewPrivs:/ {n=$2} END {print u, e, p, i, a, b, n}' "/proc/$pid/status")
check "the sampler, while it samples, is $SAMPLER_USER with no capabilities (Uid CapEff CapPrm CapInh CapAmb CapBnd NoNewPrivs: $st)" \
	test "$st" = "$uid $uid $uid $uid 0000000000000000 0000000000000000 0000000000000000 0000000000000000 0000000000000000 1"
ppid=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status")
st=$(awk '/^Uid:/ {u=$3} /^CapEff:/ {e=$2} /^CapBnd:/ {b=$2} /^NoNewPrivs:/ {n=$2} END {print u, e, b, n}' "/proc/$ppid/status")
check "its parent keeps only CAP_SYS_PTRACE and CAP_KILL (euid CapEff CapBnd NoNewPrivs: $st)" \
	test "$st" = "0 0000000000080020 0000000000080020 1"
gid=$(id -g "$SAMPLER_USER")
st=$(awk '/^Gid:/ {print $2, $3, $4, $5} /^Groups:/ {print "groups:" $2}' "/proc/$pid/status" | tr '\n' ' ')
check "its gid is the sampler user's, no supplementary groups ($st)" test "$st" = "$gid $gid $gid $gid groups: "
check "the sampler is not dumpable: its own user can open neither its memory nor its environment" \
	runuser -u "$SAMPLER_USER" -- python3 -c "
import sys
for f in ('mem', 'environ'):
    try:
        open('/proc/$pid/' + f, 'rb').close()
        sys.exit('opened ' + f)
    except PermissionError:
        pass"
check "the session dir is the sampler user's, mode 0700" \
	test "$(stat -c '%U %a' "$S")" = "$SAMPLER_USER 700"

# --- only root ------------------------------------------------------------
expect_fail "ctl run by nobody refuses --status" "root" runuser -u nobody -- "$CTL" --session-dir="$S" --status
expect_fail "ctl run by nobody refuses --shutdown" "root" runuser -u nobody -- "$CTL" --session-dir="$S" --shutdown
out=$(runuser -u nobody -- python3 "$RAWPY" "$S/xenprofd.sock" status 2>&1)
check "the socket is out of nobody's reach as installed (mode 0600 in 0700): $out" \
	bash -c "echo '$out' | grep -qi 'permission denied'"
# Make it reachable on purpose: the daemon's own check must refuse.
chmod 0711 "$S"; chmod 0666 "$S/xenprofd.sock"
for req in status "save evil" ; do
	out=$(runuser -u nobody -- python3 "$RAWPY" "$S/xenprofd.sock" $req 2>&1)
	check "nobody's valid request ($req) over a reachable socket: XP_REP_DENIED (203): $out" \
		bash -c "echo '$out' | grep -q '^reply 203 '"
done
check "nothing was saved for nobody" test ! -e "$S/saved/evil"
chmod 0600 "$S/xenprofd.sock"; chmod 0700 "$S"
check "the daemon still answers root" ctl --status

# --- session names ---------------------------------------------------------
for n in ../evil a/b .hidden .. "$(printf 'x%.0s' $(seq 300))" 'a b'; do
	ctl --save="$n" >/dev/null 2>"$T/err"; rc=$?
	check "--save='${n:0:20}' refused (exit $rc): $(head -c 150 "$T/err")" test "$rc" -ne 0 -a "$rc" -lt 128
done
check "nothing was written outside the session dir" test ! -e "$T/evil" -a ! -e "$S/evil"
for n in ../evil "$(printf 'a\001b')" ''; do
	out=$($RAW save "$n")
	check "the daemon itself refuses the name '${n}': $out" bash -c "echo '$out' | grep -q '^reply 201 '"
done
expect_fail "report refuses session:../../etc" "session" "$REPORT" --session-dir="$S" session:../../etc

# --- symlinks in the session dir -------------------------------------------
victim=$T/victim
echo "VICTIM" >"$victim"
sum0=$(sha1sum <"$victim")
cur=$S/current
ctl --dump >/dev/null
for f in meta dom0.samples kallsyms ".meta.tmp.$pid" ".dom0.samples.tmp.$pid" ".kallsyms.tmp.$pid" ; do
	rm -f "$cur/$f"; ln -s "$victim" "$cur/$f"
done
sleep 0.5	# background flushes
check "--dump with symlinks planted at meta, dom0.samples, kallsyms and the temporary names" ctl --dump
check "the victim file was not written through a symlink" test "$(sha1sum <"$victim")" = "$sum0"
check "the session files are regular files again" test -f "$cur/meta" -a ! -L "$cur/meta" -a ! -L "$cur/dom0.samples"
check "and the session is readable" bash -c "'$REPORT' --session-dir='$S' >/dev/null"
check "--shutdown" ctl --shutdown

# The pid file and the log, each planted before a daemon starts.
for f in xenprofd.pid xenprofd.log; do
	ln -sf "$victim" "$S/$f"
	ctl --start-daemon $EV >"$T/sd.out" 2>&1; rc=$?
	ctl --shutdown >/dev/null 2>&1
	check "the daemon did not write through a symlinked $f (start exit $rc: $(head -c 200 "$T/sd.out"))" \
		test "$(sha1sum <"$victim")" = "$sum0"
	[ -f "$S/xenprofd.pid" ] && [ ! -L "$S/xenprofd.pid" ] && kill -9 "$(cat "$S/xenprofd.pid")" 2>/dev/null
	rm -f "$S/$f"
	echo "VICTIM" >"$victim"
done

# current/ itself a symlink to a directory elsewhere.
mkdir "$T/elsewhere"
rm -rf "$cur"; ln -s "$T/elsewhere" "$cur"
ctl --start $EV >"$T/sd.out" 2>&1; rc=$?
sleep 0.3
ctl --dump >/dev/null 2>&1
check "nothing written through a symlinked current/ (start exit $rc: $(head -c 200 "$T/sd.out"))" \
	test -z "$(ls -A "$T/elsewhere")"
ctl --shutdown >/dev/null 2>&1
rm -f "$cur"

# --- bounded messages ------------------------------------------------------
check "start" ctl --start $EV
pid=$(cat "$S/xenprofd.pid")
read -r rss0 _ < <(rss "$pid")
for i in 1 2 3; do
	for req in oversize oversize-send bad-magic bad-version unknown-type garbage partial-header partial-payload; do
		out=$($RAW $req)
		case $req in
		oversize|oversize-send) want='^reply 201 .*too large' ;;
		bad-magic|bad-version) want='^reply 202 ' ;;
		unknown-type) want='^reply 201 .*unknown request' ;;
		garbage) want='^(reply 202 |closed)' ;;
		*) want='^closed' ;;
		esac
		[ "$i" -eq 1 ] && check "$req: $out" bash -c "echo '$out' | grep -qE '$want'"
	done
done
read -r rss1 _ < <(rss "$pid")
check "the daemon survives 24 hostile messages and still answers" ctl --status
check "its memory did not grow with them (VmRSS $rss0 -> $rss1 kB)" test "$rss1" -lt $((rss0 + 16384))
check "--shutdown" ctl --shutdown
# --- the sampler's user missing (test builds: $XENPROF_SAMPLER_USER) ------
F=$T/fallback
CLEANUP_HOOK='"$CTL" --session-dir="$F" --shutdown >/dev/null 2>&1 || true'
XENPROF_SAMPLER_USER=xp-no-such-user "$CTL" --session-dir="$F" --start $EV >"$T/fb.out" 2>&1
check "no such sampler user: it starts anyway ($(head -c 200 "$T/fb.out"))" test -s "$F/xenprofd.pid"
fpid=$(cat "$F/xenprofd.pid" 2>/dev/null)
check "... as nobody" bash -c "awk '/^Uid:/ {print \$3}' /proc/$fpid/status | grep -qx $(id -u nobody)"
"$CTL" --session-dir="$F" --status >"$T/fb.status" 2>&1
check "... and --status says so with the fix" \
	grep -q '^warning: the system user xp-no-such-user does not exist: the sampler runs as nobody.*useradd --system' "$T/fb.status"
check "... and so does the log" grep -q 'xp-no-such-user does not exist' "$F/xenprofd.log"
"$CTL" --session-dir="$F" --shutdown >/dev/null 2>&1
expect_fail "a sampler user that is root is refused" "sampler's user root is root" \
	env XENPROF_SAMPLER_USER=root "$CTL" --session-dir="$T/fallback-root" --start $EV
# The session dir is nobody's now: with the sampler user back, it is refused
# (it could be anyone's), and the fix is said.
expect_fail "a session dir left to nobody is refused, with the fix" "owned by uid $(id -u nobody).*chown -R root" \
	"$CTL" --session-dir="$F" --start $EV
finish
