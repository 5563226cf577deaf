#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""--format tsv with --other-side (issue 20): five gateway columns after the
existing ones (which do not move), per transaction: side, the paired
session's uid, how it was paired, the delay, the differences' `what`s;
"-" unset, "(empty)" no difference. Without --other-side the columns are
absent. Usage: gateway_tsv_test.py SMTPSCOPE CAPTURES"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checklib import check, summary  # noqa: E402

BIN, CAP = sys.argv[1], sys.argv[2]
GW = ["gateway_side", "gateway_peer_uid", "gateway_paired_by", "gateway_delay_s",
      "gateway_differences"]

def run(*args):
    r = subprocess.run([BIN, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    assert r.returncode in (0, 1), r.stderr
    return r.stdout.decode()


def tsv(outside, inside):
    """{uid: row dict} and the #fields list."""
    out = run("--format", "tsv", "-r", f"{CAP}/{outside}", "--other-side", f"{CAP}/{inside}")
    fields, types, rows = None, None, {}
    for ln in out.splitlines():
        if ln.startswith("#fields\t"):
            fields = ln.split("\t")[1:]
        elif ln.startswith("#types\t"):
            types = ln.split("\t")[1:]
        elif not ln.startswith("#"):
            v = ln.split("\t")
            check(len(v) == len(fields), f"{outside}: {len(v)} columns, not {len(fields)}")
            rows[v[1]] = dict(zip(fields, v))
    check(types is not None and len(types) == len(fields), "#types as long as #fields")
    return rows, fields


def uids(outside, inside):
    """outside uid -> inside uid, from the JSON document's gateway objects."""
    doc = json.loads(run("-q", "-a", "-j", "-", "-r", f"{CAP}/{outside}",
                         "--other-side", f"{CAP}/{inside}"))
    return {s["uid"]: s["gateway"] for s in doc["sessions"]}


plain = run("--format", "tsv", "-r", f"{CAP}/gw-faithful-outside.pcap")
pfields = next(ln for ln in plain.splitlines() if ln.startswith("#fields")).split("\t")[1:]
check(not any(f.startswith("gateway_") for f in pfields), "no gateway columns without it")

# swallow: paired by envelope, chunk bytes and reply on both sides
rows, fields = tsv("gw-swallow-bdat-outside.pcap", "gw-swallow-bdat-inside.pcap")
check(fields[:len(pfields)] == pfields, "the existing columns keep their places")
check(fields[len(pfields):] == GW, f"gateway columns at the end: {fields[len(pfields):]}")
gw = uids("gw-swallow-bdat-outside.pcap", "gw-swallow-bdat-inside.pcap")
check(len(rows) == 2, "two sessions, one transaction each")
for uid, r in rows.items():
    check(r["gateway_side"] == gw[uid]["side"], f"side of {uid}")
    check(r["gateway_peer_uid"] == gw[uid]["peer_uid"], f"peer of {uid}")
    check(r["gateway_paired_by"] == "envelope+time", f"paired_by of {uid}")
    check(abs(float(r["gateway_delay_s"]) - gw[uid]["delay_s"]) < 1e-6, f"delay of {uid}")
    check(r["gateway_differences"] == "chunk bytes,reply",
          f"differences of {uid}: {r['gateway_differences']}")
    if r["gateway_side"] == "outside":
        check("gateway-loss" in r["flags"].split(","), "gateway-loss in flags outside")

# faithful: message_id, no difference
rows, _ = tsv("gw-faithful-outside.pcap", "gw-faithful-inside.pcap")
for uid, r in rows.items():
    check(r["gateway_paired_by"] == "message_id", "faithful paired by message_id")
    check(r["gateway_differences"] == "(empty)", "faithful: (empty) differences")

# BDAT to DATA: the extension (the session's) and the method (the transaction's)
rows, _ = tsv("gw-bdat-to-data-outside.pcap", "gw-bdat-to-data-inside.pcap")
for uid, r in rows.items():
    check(r["gateway_differences"] == "extension,method",
          f"bdat-to-data differences: {r['gateway_differences']}")

# seen only outside: no peer, "-" unset, the message difference outside
rows, _ = tsv("gw-faithful-outside.pcap", "gw-data-faithful-inside.pcap")
for uid, r in rows.items():
    check(r["gateway_peer_uid"] == "-" and r["gateway_paired_by"] == "-" and
          r["gateway_delay_s"] == "-", f"unpaired {r['gateway_side']}: unset")
    want = "message" if r["gateway_side"] == "outside" else "(empty)"
    check(r["gateway_differences"] == want,
          f"unpaired {r['gateway_side']}: {r['gateway_differences']}")

sys.exit(summary())
