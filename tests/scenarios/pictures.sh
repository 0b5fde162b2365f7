#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Annotate and pictures on a Xen host: dom0 with the real xen-syms, its
# kernel image (--vmlinux) and a live process, and a passive domain with its
# own kernel image, recorded with --callgraph.  --annotate gives, for a
# hypervisor function (xen-syms), a kernel function (the vmlinux) and a user
# function (the process's binary), every one of the truth's samples on a
# disassembled instruction; the flame graph is one picture of the host: a
# frame per domain, Xen, kernel and user frames in their colour families,
# and it renders, zooms and searches in headless Chromium.
. "$(dirname "$0")/lib.sh"
need_root
need_xen_syms
start_app
cp "$FIXTURE_SRC" "$T/vmlinux-db03"
cat >"$T/host.conf" <<CONF
pcpus 2
cpu_type i386/arch_perfmon
rate 20000
seed 13
xen_image $XEN_SYMS
domain 0 name Domain-0 vcpus 2 weight 70 kernel $FIXTURE
domain 3 name db03 vcpus 1 weight 30 kernel $T/vmlinux-db03
work 0 xen pv_hypercall 20
work 0 kernel ext4_file_write 25
work 0 kernel leaf<-mid<-top 15
work 0 user pid=$APP_PID:main_loop 40
work 3 kernel copy_user_generic 60
work 3 xen do_page_fault 20
work 3 user - 20
CONF
fx_up "$T/host.conf" || { bad "fakexen up"; finish; exit; }
check "--start --callgraph=8 --passive-domains=db03" \
	xctl 0 --start --xen="$XEN_SYMS" --vmlinux="$FIXTURE" --event=CPU_CLK_UNHALTED:100000 \
	--callgraph=8 --passive-domains=db03 --passive-images="$T/vmlinux-db03"
sleep 1.5
check "--stop" xctl 0 --stop
check "--shutdown" xctl 0 --shutdown
"$FAKEXEN" down --dir "$HOST" >/dev/null
"$FAKEXEN" truth --dir "$HOST" >"$T/truth.json"
PASSIVE=3 compare_truth 0 0,3

# Annotate: xen-syms, the vmlinux, the user binary, the passive domain's kernel.
xreport 0 --format=json --annotate=pv_hypercall,ext4_file_write,main_loop,copy_user_generic >"$T/an.json"
python3 - "$T/truth.json" "$T/an.json" "$XEN_SYMS" "$FIXTURE" "$APP" "$T/vmlinux-db03" <<'PY' >"$T/an.check"
import json, sys
truth = json.load(open(sys.argv[1]))
an = json.load(open(sys.argv[2]))
files = {"pv_hypercall": sys.argv[3], "ext4_file_write": sys.argv[4], "main_loop": sys.argv[5],
         "copy_user_generic": sys.argv[6]}
doms = {"pv_hypercall": 0, "ext4_file_write": 0, "main_loop": 0, "copy_user_generic": 3}
ok = True
for sym, dom in doms.items():
    want = sum(b["delivered"] for b in truth["by"] if b["symbol"] == sym and b["domain"] == dom)
    got = [s for s in an["symbols"] if s["symbol"] == sym and s["domain"] == dom]
    if len(got) != 1:
        print("FAIL - %s: annotated %d times" % (sym, len(got))); ok = False; continue
    s = got[0]
    ins = [i for r in s["ranges"] for i in r.get("instructions", [])]
    on = sum(i["samples"] for i in ins)
    real = sum(1 for i in ins if i["text"] and not i["text"].startswith("(bad)"))
    lines = sum(len(r.get("lines", [])) for r in s["ranges"])
    good = (s["samples"] == want and on == want and real > 2 and "error" not in s and
            s["file"] == files[sym])
    if sym != "pv_hypercall":  # xen-syms has no line information; the fixture has
        good = good and lines > 0
    print("%s - %s (domain %d, %s): truth %d, annotated %d, on instructions %d, %d instructions, %d lines"
          % ("ok" if good else "FAIL", sym, dom, s["file"], want, s["samples"], on, real, lines))
    ok = ok and good
sys.exit(0 if ok else 1)
PY
rc=$?
cat "$T/an.check"
check "annotate: Xen, kernel and user functions, every sample on an instruction" test "$rc" -eq 0
xreport 0 --annotate=pv_hypercall --assembly >"$T/xen.txt"
sed -n '1,16p' "$T/xen.txt"
check "the xen-syms listing has Xen's addresses" grep -qE '^ +[0-9]+ +[0-9.]+ +ffff82d0' "$T/xen.txt"

# One picture of the host.
xreport 0 --format=folded >"$T/folded"
check "folded: dom0's Xen samples under Domain-0;[xen]" grep -qE '^Domain-0;\[xen\];pv_hypercall [0-9]+$' "$T/folded"
check "folded: the passive domain's kernel under db03;[kernel]" grep -qE '^db03;\[kernel\];copy_user_generic [0-9]+$' "$T/folded"
check "folded: the chain under its domain" grep -qE '^Domain-0;\[kernel\];top;mid;leaf [0-9]+$' "$T/folded"
check "--format=svg" xreport 0 --format=svg -o "$T/xenhost.svg"
python3 - "$T/xenhost.svg" <<'PY' >"$T/svg.check"
import sys, xml.dom.minidom as m
d = m.parse(sys.argv[1])
gs = [g for g in d.getElementsByTagName("g") if g.getAttribute("class") == "f"]
def name(g):
    t = g.getElementsByTagName("title")[0].firstChild.data
    return t[:t.rfind(" (")]
doms = sorted(name(g) for g in gs if g.getAttribute("data-fam") == "d")
print("domain frames:", doms)
fam = {}
for g in gs:
    fam.setdefault(g.getAttribute("data-fam"), set()).add(name(g))
print("families:", {k: sorted(v)[:4] for k, v in fam.items()})
ok = doms == ["Domain-0", "db03"] and all(g.getAttribute("data-d") == "1" for g in gs if g.getAttribute("data-fam") == "d")
ok = ok and "pv_hypercall" in fam.get("x", ()) and "do_page_fault" in fam.get("x", ())
ok = ok and "ext4_file_write" in fam.get("k", ()) and "main_loop" in fam.get("u", ())
sys.exit(0 if ok else 1)
PY
rc=$?
cat "$T/svg.check"
check "svg: a frame per domain, Xen/kernel/user frames in their families" test "$rc" -eq 0
python3 "$top_srcdir/tests/e2e/svgcheck.py" "$T/xenhost.svg" "$top_builddir/tests/scenarios" db03 'do_' >"$T/browser" 2>&1
rc=$?
cat "$T/browser"
check "headless Chromium: the host's flame graph renders, a click on db03 zooms, search" test "$rc" -eq 0
finish
