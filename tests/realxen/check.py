#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""check.py LOG: the verdicts on a real Xen host's console log (run.py).

Reads what init.sh printed in dom0 (and, inside "domu-console", in the
domU) and what run.py noted (NMIs injected per window), prints one line per
check, "ok NAME: ..." or "FAIL NAME: ...", then the figures, and exits 1
when any check failed.
"""
import json
import re
import sys

LINE = re.compile(r'^\[ *([0-9.]+)\] (.*)$')
SHARES = {'work_alpha': 60.0, 'work_beta': 30.0, 'work_gamma': 10.0}
TOLERANCE = 3.0
NOXS_LIMIT_S = 20.0


def parse(lines):
    """Steps (name -> dict), framed outputs (name -> lines), host notes."""
    steps, blocks, nmis, marks = {}, {}, {}, {}
    cur, run_t, block = None, {}, None
    for t, text in lines:
        if block is not None:
            if text == 'XP-END ' + block:
                block = None
            else:
                blocks[block].append(text)
                continue
        if text.startswith('XP-BEGIN '):
            block = text.split(' ', 1)[1]
            blocks[block] = []
            continue
        m = re.match(r'XP-RUN ([^:]+): (.*)', text)
        if m:
            cur = m.group(1)
            run_t[cur] = t
            steps[cur] = {'cmd': m.group(2), 'out': [], 'rc': None, 't': 0.0}
            continue
        m = re.match(r'XP-STEP (\S+) rc=(\d+)', text)
        if m and m.group(1) in steps:
            s = steps[m.group(1)]
            s['rc'] = int(m.group(2))
            s['t'] = t - run_t[m.group(1)]
            cur = None
            continue
        m = re.match(r'HOST nmi (\S+) (\d+) in ([0-9.]+) s', text)
        if m:
            nmis[m.group(1)] = (int(m.group(2)), float(m.group(3)))
            continue
        for key in ('XP-BOOTED', 'XP-DONE', 'HOST qemu exit', 'HOST qemu VmHWM'):
            if text.startswith(key) and key not in marks:
                marks[key] = (t, text)
        if cur is not None and not text.startswith(('XP-', 'HOST ')):
            steps[cur]['out'].append(text)
    for name in steps:
        if name in blocks:
            steps[name]['out'] = blocks[name]
    return steps, blocks, nmis, marks


def read_log(path):
    out = []
    for raw in open(path, errors='replace'):
        m = LINE.match(raw.rstrip('\n'))
        if m:
            out.append((float(m.group(1)), m.group(2)))
    return out


class Checks:
    def __init__(self):
        self.failed = 0
        self.figures = []

    def __call__(self, name, ok, detail):
        print('%s %s: %s' % ('ok' if ok else 'FAIL', name, detail))
        if not ok:
            self.failed += 1
        return ok


def jblock(blocks, name):
    """The JSON object in block NAME (warnings on stderr come before it)."""
    lines = blocks.get(name)
    if not lines:
        return None
    text = '\n'.join(lines)
    i = text.find('{')
    try:
        return json.loads(text[i:]) if i >= 0 else None
    except ValueError:
        return None


def status_field(lines, key):
    for l in lines or []:
        if l.startswith(key + ':'):
            return l[len(key) + 1:].strip()
    return None


def logged(lines):
    v = status_field(lines, 'hypervisor logged')
    m = re.match(r'(\d+) samples, (\d+) lost', v or '')
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)


def shares(j, image_suffix='/xp-burn'):
    got = {}
    for r in j.get('rows', []):
        if r.get('image', '').endswith(image_suffix) and r.get('symbol') in SHARES:
            got[r['symbol']] = got.get(r['symbol'], 0) + r['samples']
    total = sum(got.values())
    return total, {k: (100.0 * got.get(k, 0) / total if total else 0.0) for k in SHARES}


def main():
    if len(sys.argv) != 2:
        print('usage: check.py LOG', file=sys.stderr)
        return 2
    lines = read_log(sys.argv[1])
    steps, blocks, nmis, marks = parse(lines)
    # The domU's console, as xenconsoled logged it, holds its own steps.
    dsteps, dblocks, _, dmarks = parse([(0.0, l) for l in blocks.get('domu-console', [])])
    c = Checks()

    c('boot', 'XP-BOOTED' in marks, 'dom0 ran /init at %.1f s of QEMU time' %
      marks['XP-BOOTED'][0] if 'XP-BOOTED' in marks else 'dom0 never started /init')
    c('done', 'XP-DONE' in marks, 'dom0 finished its steps' if 'XP-DONE' in marks else
      'dom0 did not finish (see the log)')

    expect_fail = {'wrong-xen'}
    bad = ['%s rc=%s' % (n, s['rc']) for n, s in steps.items()
           if n not in expect_fail and s['rc'] != 0]
    c('steps', not bad and len(steps) > 30, '%d steps in dom0, all exit 0' % len(steps)
      if not bad else 'non-zero: ' + ', '.join(bad))

    # Defect 2: every xenstore call bounded in time, the reason said.
    for n in ('doctor-noxs', 'start-noxs'):
        s = steps.get(n)
        c(n, s is not None and s['rc'] == 0 and s['t'] < NOXS_LIMIT_S,
          'without xenstored: rc %s in %.1f s (limit %.0f s)' % (s['rc'], s['t'], NOXS_LIMIT_S)
          if s else 'not run')
    c('doctor-noxs-says', any(l.startswith('warn  xenstore:') and 'xenstored' in l
                              for l in blocks.get('doctor-noxs', [])),
      'the doctor names the missing xenstored')

    # The doctor's verdicts on a real dom0; defect 3: the real build-id check.
    d = blocks.get('doctor', [])
    for key, what in (('ok    xenoprof: available: cpu type i386/core_2', 'xenoprof, i386/core_2'),
                      ('this domain is the primary profiler', 'primary'),
                      ('matches the running Xen (build-id', 'xen-syms matches the running Xen'),
                      ('ok    xenstore: answers: this is domain 0 (Domain-0)', 'real xenstore names Domain-0'),
                      ('verdict: xenoprof', 'verdict xenoprof')):
        c('doctor', any(key in l for l in d), what)
    fails = [l for l in d if l.startswith('fail')]
    c('doctor', not fails, 'no fail lines' if not fails else '; '.join(fails))
    w = steps.get('wrong-xen', {'rc': None, 'out': []})
    c('wrong-xen', w['rc'] == 1 and any("is not the running hypervisor's" in l for l in w['out']),
      'a --xen that is not the running hypervisor is refused (rc %s)' % w['rc'])

    # Privilege separation on the real hypervisor, while the sampler samples.
    pv = blocks.get('privsep', [])

    def pv_field(prefix):
        for l in pv:
            if l.startswith(prefix):
                return l[len(prefix):].strip()
        return ''
    uid = pv_field('sampler user uid:')
    samp = re.search(r'Uid: (\S+) (\S+) (\S+) (\S+) CapEff: (\S+) CapBnd: (\S+) NoNewPrivs: (\S+)',
                     next((l for l in pv if l.startswith('sampler pid')), ''))
    par = re.search(r'Uid: (\S+) (\S+) (\S+) (\S+) CapEff: (\S+) CapBnd: (\S+) NoNewPrivs: (\S+)',
                    next((l for l in pv if l.startswith('parent pid')), ''))
    c('privsep-sampler', samp is not None and uid and all(samp.group(i) == uid for i in range(1, 5)) and
      samp.group(5) == '0000000000000000' and samp.group(6) == '0000000000000000' and
      samp.group(7) == '1' and pv_field('sampler privcmd fds:') == '0',
      'the sampler runs as _xenprof (uid %s) with no capabilities and no privcmd: %s; privcmd fds %s' %
      (uid, samp.group(0) if samp else 'not shown', pv_field('sampler privcmd fds:')))
    c('privsep-parent', par is not None and par.group(2) == '0' and
      par.group(5) == '0000000000080020' and par.group(7) == '1',
      'its parent keeps CAP_SYS_PTRACE and CAP_KILL: %s' % (par.group(0) if par else 'not shown'))
    c('privsep-sessdir', uid and pv_field('session dir owner:') == uid,
      'the session dir belongs to the sampler user (uid %s)' % pv_field('session dir owner:'))

    # The chapter's dom0 workflow.
    st = blocks.get('status', [])
    c('status', status_field(st, 'backend') == 'xenoprof' and
      status_field(st, 'cpu type') == 'i386/core_2', 'backend %s, cpu type %s' %
      (status_field(st, 'backend'), status_field(st, 'cpu type')))
    hv, hvlost = logged(st)
    tracking = status_field(st, 'process tracking') or ''
    c('tracking', tracking.startswith('perf side band') and
      not tracking.endswith(' 0 side-band records, 0 lost'), 'process tracking: ' + tracking)
    j = jblock(blocks, 'json') or {}
    n_dom0 = nmis.get('dom0', (0, 0))[0]
    rep = j.get('total_samples')
    c('samples', hv is not None and rep == hv and j.get('lost_samples') == hvlost,
      'reported %s = hypervisor logged %s (lost %s = %s)' % (rep, hv, j.get('lost_samples'), hvlost))
    c('nmis', hv is not None and 0.5 * n_dom0 <= hv <= n_dom0,
      '%s logged of %d NMIs injected (one counter: at most one each)' % (hv, n_dom0))
    tot, sh = shares(j)
    off = max(abs(sh[k] - SHARES[k]) for k in SHARES)
    c('shares', tot > 1000 and off <= TOLERANCE, '%s of %d workload samples vs 60/30/10, '
      'worst %.1f points (limit %.0f)' % ('/'.join('%.1f' % sh[k] for k in SHARES), tot, off,
                                          TOLERANCE))
    rows = j.get('rows', [])
    xen = [r for r in rows if r.get('image', '').endswith('xen-syms-4.17-amd64')]
    xen_named = sum(r['samples'] for r in xen if not r['symbol'].startswith('['))
    xen_all = sum(r['samples'] for r in xen)
    dom = (j.get('domains') or [{}])[0]
    c('xen-symbols', xen_all > 0 and xen_all == dom.get('xen') and xen_named >= 0.9 * xen_all,
      '%d of %d Xen-mode samples in real xen-syms functions (%s)' % (
          xen_named, xen_all, ', '.join(r['symbol'] for r in xen[:3])))
    kern = [r for r in rows if r.get('image') == '[kernel.kallsyms]']
    k_named = sum(r['samples'] for r in kern if not r['symbol'].startswith('['))
    k_all = sum(r['samples'] for r in kern)
    c('kernel-symbols', k_all > 0 and k_named >= 0.9 * k_all,
      '%d of %d dom0 kernel samples in kallsyms symbols (%s)' % (
          k_named, k_all, ', '.join(r['symbol'] for r in kern[:3])))
    unk = sum(r['samples'] for r in rows if r.get('image') in ('[unknown]', '[ambiguous]'))
    c('user-attributed', rep and unk <= 0.02 * rep,
      '%d samples in [unknown]/[ambiguous] user space of %s' % (unk, rep))
    c('domain-name', dom.get('domain_name') == 'Domain-0', 'domain 0 is %s' % dom.get('domain_name'))

    # Two counters: one entry per enabled counter per NMI.
    j0, j1 = jblock(blocks, 'two-json0') or {}, jblock(blocks, 'two-json1') or {}
    hv2, _ = logged(blocks.get('two-status'))
    n_two = nmis.get('two', (0, 0))[0]
    a, b = j0.get('total_samples'), j1.get('total_samples')
    c('two-counters', a is not None and a == b and hv2 == a + b and a <= n_two and a >= 0.5 * n_two,
      'CPU_CLK_UNHALTED %s, INST_RETIRED.ANY_P %s, logged %s, NMIs %d' % (a, b, hv2, n_two))

    # kill -9 mid-session, then a new daemon.
    hvk, _ = logged(blocks.get('k-status'))
    jk = jblock(blocks, 'k-json') or {}
    c('kill9', steps.get('k-restart', {}).get('rc') == 0 and hvk and jk.get('total_samples') == hvk,
      'a new daemon after kill -9: %s reported = %s logged' % (jk.get('total_samples'), hvk))

    # A passive domU named by the real xenstore.
    jp = jblock(blocks, 'p-json') or {}
    hvp, _ = logged(blocks.get('p-status'))
    guest = [x for x in jp.get('domains', []) if x.get('domain_name') == 'guest1']
    c('passive', bool(guest) and guest[0]['samples'] > 0 and jp.get('total_samples') == hvp,
      'guest1 (from xl create, named by xenstore): %s samples; %s reported = %s logged' % (
          guest[0]['samples'] if guest else 0, jp.get('total_samples'), hvp))

    # The active domU with its own xenprof-ctl, coordinated from dom0.
    r = dblocks.get('domu-doctor-restricted', [])
    c('domu-privcmd', any('unrestricted=1' in l for l in r),
      "the domU's restricted privcmd is named with its fix" if r else 'domU console missing')
    jd = jblock(dblocks, 'domu-json') or {}
    hvd, _ = logged(dblocks.get('domu-status'))
    dtot, dsh = shares(jd)
    ddom = (jd.get('domains') or [{}])[0]
    c('active', steps.get('a-start', {}).get('rc') == 0 and hvd and jd.get('total_samples') == hvd
      and dtot > 0.5 * ddom.get('user', 1) and ddom.get('domain_name') == 'guest1',
      "guest1's own daemon: %s reported = %s logged, workload %s (%d samples), named %s" % (
          jd.get('total_samples'), hvd, '/'.join('%.1f' % dsh[k] for k in SHARES), dtot,
          ddom.get('domain_name')))
    dbad = ['%s rc=%s' % (n, s['rc']) for n, s in dsteps.items() if s['rc'] != 0]
    c('domu-steps', dsteps and not dbad, '%d steps in the domU, all exit 0' % len(dsteps)
      if not dbad else 'non-zero: ' + ', '.join(dbad))

    print('figures: boot to dom0 /init %.1f s; dom0 workflow: %d NMIs injected, %s logged by '
          'the hypervisor, %s reported; shares %s vs 60/30/10; two counters %s+%s of %d NMIs; '
          'run %.0f s%s' % (
              marks.get('XP-BOOTED', (0, ''))[0], n_dom0, hv, rep,
              '/'.join('%.1f' % sh[k] for k in SHARES), a, b, n_two,
              marks.get('HOST qemu exit', (0, ''))[0],
              ', ' + marks['HOST qemu VmHWM'][1][5:] if 'HOST qemu VmHWM' in marks else ''))
    return 1 if c.failed else 0


if __name__ == '__main__':
    sys.exit(main())
