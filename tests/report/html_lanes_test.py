#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""--html with --other-side in a real browser (Debian's chromium, headless):
a paired session's ladder has three lanes, sender | gateway | receiver.

  html_lanes_test.py SMTPSCOPE CAPTURES_DIR GEN_CAPTURE OUTDIR

- gw-swallow-bdat (the seed's story): both sessions' articles draw three
  lanes; BDAT 2728 LAST arrives at the gateway (sender -> gateway, 2728 of
  2728 bytes), the "chunk bytes" difference stands right after it, the
  gateway's own 250 goes back to the sender, the inside BDAT 2728 LAST goes
  gateway -> receiver with 0 of 2728 bytes; gateway-loss is pinned there.
- gw-faithful: three lanes, the chunk whole on both sides, no difference.
- gw-faithful + the inside 1 h 2.5 s late: the page says the inside times
  are shifted, and the inside BDAT is drawn between the outside BDAT and
  the final 250 (interleaved on one clock).
- gw-faithful-outside + gw-data-faithful-inside: unpaired, two lanes.
- hostile-markup against a copy 0.5 s later: three lanes of hostile text,
  nothing runs, the markup shows as text.
- cleartext-auth against a copy 0.5 s later: the AUTH lines in the three
  lanes say [redacted]; the password and its base64 forms are nowhere in
  the page.
- 150 generated sessions against a copy 0.5 s later: 300 paired sessions,
  200 of them lazy; opening the last draws its three lanes.
Every page: no console error, exception or CSP violation. Without chromium:
skipped (77), except in CI (CI=true), where that is a failure.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
import cdp  # noqa: E402
from checklib import check, summary  # noqa: E402

# Each session's ladder as the page drew it.
PROBE = r"""(() => JSON.stringify(
  [...document.querySelectorAll('details[data-session]')].map(e => {
    const svg = e.querySelector('svg.ladder');
    const steps = svg ? [...svg.querySelectorAll('g[data-step]')].map(g => {
      const a = g.querySelector('path.a'), l = g.querySelector('text.l'),
            b = g.querySelector('text.bar');
      const m = a ? /^M(\d+) \d+H(\d+)/.exec(a.getAttribute('d')) : null;
      return {cls: g.getAttribute('class'), label: l ? l.textContent : '',
              bar: b ? b.textContent : '', x1: m ? +m[1] : null,
              x2: m ? +m[2] : null};
    }) : [];
    return {uid: e.dataset.session, lanes3: !!e.querySelector('svg.lanes3'),
            heads: svg ? [...svg.querySelectorAll('g.lanes > text')]
                           .map(t => t.textContent) : [],
            note: svg ? [...svg.querySelectorAll(':scope > text.t')]
                           .map(t => t.textContent).join(' ') : '',
            steps: steps,
            flags: [...e.querySelectorAll('li[data-rule]')].map(
              f => [f.dataset.rule, +f.dataset.step])};
  })))()"""

SND, GW, RCV = 110, 480, 850
RETIME = os.path.join(HERE, "..", "..", "captures", "tools", "retime.py")


def retime(src, dst):
    """dst: src with every packet 0.5 s later (other uids, same clock)."""
    subprocess.run([sys.executable, RETIME, "--shift", "0.5", src, dst], check=True,
                   capture_output=True, timeout=60)


def run(binary, out, inside, tmp, name):
    html, js = os.path.join(tmp, name + ".html"), os.path.join(tmp, name + ".json")
    p = subprocess.run([binary, "-q", "-a", "-r", out, "--other-side", inside,
                        "-j", js, "--html", html], capture_output=True, timeout=120)
    check(p.returncode in (0, 1), "%s: exit %d %s" % (name, p.returncode, p.stderr[-300:]))
    with open(js) as f:
        return html, json.load(f)


def load(browser, name, html):
    browser.open("file://" + os.path.abspath(html))
    errs = browser.errors()
    check(not errs, "%s: no console/CSP errors %s" % (name, errs))
    return {a["uid"]: a for a in json.loads(browser.evaluate(PROBE))}


def find(steps, label, inside, start=0):
    """Index of the first step from start whose label starts so, on the
    given side (None: a difference row)."""
    for i in range(start, len(steps)):
        s = steps[i]
        side = None if "gwdiff" in s["cls"] else "inside" in s["cls"].split()
        if side == inside and s["label"].startswith(label):
            return i
    return -1


def arrow(s, x1, x2):
    return s["x1"] == x1 and abs(s["x2"] - x2) <= 1


def three_lanes(name, art):
    check(art["lanes3"], "%s %s: three lanes" % (name, art["uid"]))
    heads = " | ".join(art["heads"])
    check(heads.startswith("sender ") and "| gateway " in heads and "| receiver " in heads,
          "%s: lane heads sender, gateway, receiver (%s)" % (name, heads))


def swallow(name, doc, arts):
    check(len(arts) == 2, "%s: two sessions drawn" % name)
    for s in doc["sessions"]:
        art = arts[s["uid"]]
        three_lanes(name, art)
        st = art["steps"]
        i = find(st, "BDAT 2728 LAST", False)
        check(i >= 0 and arrow(st[i], SND, GW), "%s: outside BDAT sender -> gateway" % name)
        c = find(st, "<chunk 2728: 2728 received>", False, i)
        check(c > i and st[c]["bar"] == "2728 of 2728 bytes", "%s: the chunk reached the gateway" % name)
        d = find(st, "chunk bytes: 2728 bytes accepted", None)
        r = find(st, "250 2.0.0 Ok: queued by gateway", False)
        check(c < d < r, "%s: the difference between the chunk (%d) and the gateway's 250 (%d): %d"
              % (name, c, r, d))
        check(r >= 0 and arrow(st[r], GW, SND), "%s: the gateway's own 250 to the sender" % name)
        j = find(st, "BDAT 2728 LAST", True)
        check(j >= 0 and arrow(st[j], GW, RCV), "%s: inside BDAT gateway -> receiver" % name)
        k = find(st, "<chunk 2728: 0 received>", True)
        check(k >= 0 and st[k]["bar"] == "0 of 2728 bytes", "%s: nothing left the gateway" % name)
        check(find(st, "<chunk 2728: 2728 received>", True) < 0, "%s: no whole chunk inside" % name)
        if s["gateway"]["side"] == "outside":
            loss = [n for rule, n in art["flags"] if rule == "gateway-loss"]
            check(len(loss) == 1 and i < loss[0] <= len(st),
                  "%s: gateway-loss pinned after the BDAT (%s, BDAT at %d)" % (name, loss, i + 1))


def faithful(name, doc, arts):
    for s in doc["sessions"]:
        art = arts[s["uid"]]
        three_lanes(name, art)
        st = art["steps"]
        check(not any("gwdiff" in x["cls"] for x in st), "%s: no difference row" % name)
        for inside, x1, x2 in ((False, SND, GW), (True, GW, RCV)):
            i = find(st, "BDAT 2728 LAST", inside)
            c = find(st, "<chunk 2728: 2728 received>", inside)
            check(i >= 0 and arrow(st[i], x1, x2) and c > i and
                  st[c]["bar"] == "2728 of 2728 bytes",
                  "%s: the whole chunk %s" % (name, "inside" if inside else "outside"))


def clock(name, doc, arts):
    for s in doc["sessions"]:
        art = arts[s["uid"]]
        three_lanes(name, art)
        check("shifted by -3602.500 s" in art["note"], "%s: the shift said (%s)" % (name, art["note"]))
        st = art["steps"]
        i, j = find(st, "BDAT 2728 LAST", False), find(st, "BDAT 2728 LAST", True)
        r = find(st, "250 2.0.0 Ok", False, max(i, 0))
        check(0 <= i < j < r, "%s: interleaved on one clock (%d, %d, %d)" % (name, i, j, r))


def unpaired(name, doc, arts):
    for s in doc["sessions"]:
        art = arts[s["uid"]]
        check(not art["lanes3"] and art["steps"], "%s: two lanes when unpaired" % name)
        check(art["heads"][:1] and art["heads"][0].startswith("client "),
              "%s: client/server heads %s" % (name, art["heads"]))


def hostile(browser, name, doc, arts, src):
    for s in doc["sessions"]:
        three_lanes(name, arts[s["uid"]])
        check(s["gateway"]["peer_uid"] is not None, "%s: paired" % name)
    title = browser.evaluate("document.title")
    check(title == "smtpscope: " + src, "%s: title kept (%r)" % (name, title))
    check(not browser.evaluate("typeof window.pwned !== 'undefined'"), "%s: nothing ran" % name)
    for s in doc["sessions"]:
        labels = [(x["cls"], x["label"]) for x in arts[s["uid"]]["steps"]]
        for t in ("EHLO <script>document.title='pwned'<", "onerror=",
                  "RCPT TO:<javascript:document.title", "\\xe2\\x80\\xae"):
            for inside in (False, True):
                check(any(t in lb and ("inside" in c.split()) == inside
                          for c, lb in labels),
                      "%s: %r shown as text %s" % (name, t, "inside" if inside else "outside"))
    n = browser.evaluate("document.querySelectorAll('img, iframe, object, embed, "
                         "[onerror], [onload]').length + document.scripts.length - 1")
    check(n == 0, "%s: %d injected elements" % (name, n))


SECRETS = ("Sup3rSecret-Pa55", "AGFsaWNlAFN1cDNyU2VjcmV0LVBhNTU=",
           "U3VwM3JTZWNyZXQtUGE1NQ==", "YWxpY2U=")


def auth(name, doc, arts, html):
    page = open(html, encoding="utf-8").read()
    for secret in SECRETS:
        check(secret not in page, "%s: %s not in the page" % (name, secret))
    for s in doc["sessions"]:
        art = arts[s["uid"]]
        three_lanes(name, art)
        for inside in (False, True):
            # AUTH PLAIN's initial response, AUTH LOGIN's SASL lines
            check(any("[redacted]" in x["label"] and
                      ("inside" in x["cls"].split()) == inside for x in art["steps"]),
                  "%s: the credential [redacted] %s" % (name, "inside" if inside else "outside"))


def lazy(browser, binary, gen, tmp):
    out, inside = os.path.join(tmp, "gen.pcap"), os.path.join(tmp, "gen-later.pcap")
    subprocess.run([gen, "--sessions", "150", "--seed", "3", "--out", out], check=True,
                   capture_output=True, timeout=120)
    retime(out, inside)
    html, doc = run(binary, out, inside, tmp, "lazy")
    check(all(s["gateway"]["peer_uid"] for s in doc["sessions"]), "lazy: every session paired")
    browser.open("file://" + os.path.abspath(html))
    uids = browser.evaluate("[...document.querySelectorAll('details[data-lazy]')]"
                            ".map(e => e.dataset.session)")
    check(len(uids) == len(doc["sessions"]) - 100, "lazy: %d lazy sessions" % len(uids))
    got = browser.evaluate(
        "(() => {const d = document.querySelector('details[data-lazy][data-session=\"%s\"]');"
        "d.open = true; return new Promise(r => setTimeout(() => r(["
        "d.querySelectorAll('svg.lanes3').length,"
        "d.querySelectorAll('svg.lanes3 [data-step]').length]), 50));})()" % uids[-1])
    check(got[0] == 1 and got[1] > 0, "lazy: opening %s drew three lanes %s" % (uids[-1], got))
    errs = browser.errors()
    check(not errs, "lazy: no console/CSP errors %s" % errs)


def main():
    binary, caps, gen, outdir = sys.argv[1:5]
    cap = lambda n: os.path.join(caps, n)  # noqa: E731
    skip = cdp.skip_code()
    if skip is not None:
        return skip
    os.makedirs(outdir, exist_ok=True)
    browser = cdp.Browser()
    try:
        with tempfile.TemporaryDirectory(prefix="smtpscope-lanes-") as tmp:
            later = os.path.join(tmp, "hostile-later.pcap")
            retime(cap("hostile-markup.pcap"), later)
            auth_later = os.path.join(tmp, "auth-later.pcap")
            retime(cap("cleartext-auth.pcap"), auth_later)
            cases = [
                ("swallow", "gw-swallow-bdat-outside.pcap", cap("gw-swallow-bdat-inside.pcap"), swallow),
                ("faithful", "gw-faithful-outside.pcap", cap("gw-faithful-inside.pcap"), faithful),
                ("clock", "gw-faithful-outside.pcap", cap("gw-faithful-inside-clock.pcap"), clock),
                ("unpaired", "gw-faithful-outside.pcap", cap("gw-data-faithful-inside.pcap"), unpaired),
                ("hostile", "hostile-markup.pcap", later, None),
                ("auth", "cleartext-auth.pcap", auth_later, auth),
            ]
            for name, out, inside, verify in cases:
                html, doc = run(binary, cap(out), inside, tmp, name)
                arts = load(browser, name, html)
                check(set(arts) == {s["uid"] for s in doc["sessions"]},
                      "%s: one article per session" % name)
                if verify is None:
                    hostile(browser, name, doc, arts, cap(out))
                elif verify is auth:
                    auth(name, doc, arts, html)
                else:
                    verify(name, doc, arts)
                if name in ("swallow", "hostile"):
                    browser.screenshot(os.path.join(outdir, "lanes-" + name + ".png"))
            lazy(browser, binary, gen, tmp)
    finally:
        browser.close()
    return summary()


if __name__ == "__main__":
    sys.exit(main())
