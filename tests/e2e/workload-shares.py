#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The shares of a workload in a report already selected to its pids.

  workload-shares.py REPORT.json PROGRAM [SYMBOL]

prints: total named work unknown [share]
  total    the report's samples (the workload's, by tgid:)
  named    those attributed to a function: in a file image, with a symbol
  work     those in PROGRAM's work_* functions
  unknown  those the daemon could attribute to no image ([unknown])
  share    SYMBOL's percent of the work samples, when SYMBOL is given
"""
import json, sys

j = json.load(open(sys.argv[1]))
rows = j["rows"]
total = sum(r["samples"] for r in rows)
named = sum(r["samples"] for r in rows if r["image"].startswith("/") and r.get("symbol", "[unknown]") != "[unknown]")
work = sum(r["samples"] for r in rows if r["image"] == sys.argv[2] and r.get("symbol", "").startswith("work_"))
unknown = sum(r["samples"] for r in rows if r["image"] == "[unknown]")
out = [total, named, work, unknown]
if len(sys.argv) > 3:
    sym = sum(r["samples"] for r in rows if r["image"] == sys.argv[2] and r.get("symbol") == sys.argv[3])
    out.append(round(100.0 * sym / max(1, work), 2))
print(*out)
