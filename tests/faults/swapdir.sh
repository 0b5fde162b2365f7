#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The swapped session directory, as an unprivileged user (nobody) does it:
# a root-owned session dir in a directory nobody owns is renamed away and a
# symlink to nobody's own directory put in its place.  A daemon that writes
# by path would then flush and save into nobody's directory.
#   1. xenprofd refuses, at start, a session dir any of whose parents a user
#      other than root can write: one line naming that directory and the fix
#      (xenprof-ctl refuses to store a setup there, for the same reason).
#   2. A parent that becomes writable by nobody only after the start (a
#      later chown): nobody swaps the session dir for a symlink while the
#      daemon samples; its periodic flushes, --dump and --save still go to
#      the directory it opened, and nothing lands in nobody's directory.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/lib.sh"
need_root
need_perf_events
id nobody >/dev/null 2>&1 || missing "no user nobody"
command -v runuser >/dev/null || missing "no runuser (util-linux)"
EV="--event=cpu-clock:1000000 --flush-interval=100"
as_nobody() { runuser -u nobody -- "$@"; }
chmod 0755 "$T"

# --- 1. refused at start --------------------------------------------------
P=$T/pub
mkdir -m 0755 "$P"
chown nobody "$P"
expect_fail "a session dir in a directory nobody owns is refused at start, naming it and the fix" \
	"$P.*(not owned by root|writable).*chown root" \
	"$CTL" --session-dir="$P/sess" --start $EV
check "... and no daemon runs there" test ! -S "$P/sess/xenprofd.sock"
expect_fail "xenprofd itself refuses it too, started by hand" \
	"$P.*(not owned by root|writable).*chown root" timeout 20 "$XPD" -d --session-dir="$P/sess2"
"$CTL" --session-dir="$P/sess" --shutdown >/dev/null 2>&1
chown root "$P"; chmod 0777 "$P"
expect_fail "a world-writable (not sticky) parent is refused too" "$P.*writable by others than root" \
	"$CTL" --session-dir="$P/sess" --start $EV
"$CTL" --session-dir="$P/sess" --shutdown >/dev/null 2>&1

# --- 2. swapped while running --------------------------------------------
Q=$T/later
mkdir -m 0755 "$Q"
QS=$Q/sess
check "start in a safe directory" "$CTL" --session-dir="$QS" --start $EV
"$BURN" 1 alpha=1 >/dev/null
# The parent becomes nobody's; nobody swaps the session dir for a symlink to
# a directory of its own, laid out as a session dir would be.
chown nobody "$Q"
as_nobody mv "$QS" "$Q/moved"
as_nobody mkdir -m 0777 "$Q/evil" "$Q/evil/current" "$Q/evil/saved"
as_nobody ln -s evil "$QS"
check "nobody swapped the session dir for a symlink" test -L "$QS"
n0=$(status_flushes "$CTL --session-dir=$Q/moved")
"$BURN" 1 beta=1 >/dev/null
check "periodic flushes go on (two more than $n0)" two_flushes_after "${n0:-0}" "$CTL --session-dir=$Q/moved"
check "--dump (through the real socket)" "$CTL" --session-dir="$Q/moved" --dump
check "--save=swapped" "$CTL" --session-dir="$Q/moved" --save=swapped
check "--stop" "$CTL" --session-dir="$Q/moved" --stop
check "--shutdown" "$CTL" --session-dir="$Q/moved" --shutdown
left=$(cd "$Q/evil" && find . -mindepth 1 ! -path ./current ! -path ./saved | head -5 | tr '\n' ' ')
check "nothing was written into nobody's directory (${left:-nothing})" test -z "$left"
check "the flushes went to the directory the daemon opened" test -s "$Q/moved/current/meta"
check "the save too" test -s "$Q/moved/saved/swapped/meta"
tot=$("$REPORT" --session-dir="$Q/moved" --format=json session:swapped | json_query 'j["total_samples"]')
check "and the saved session reads ($tot samples)" test "${tot:-0}" -gt 0
finish
