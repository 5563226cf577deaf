#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""--html in a real browser (Debian's chromium, headless, over DevTools).

  html_browser_test.py SMTPSCOPE CAPTURES_DIR GEN_CAPTURE OUTDIR

For every capture in CAPTURES_DIR, one run writes -j and --html (-a); the
page is loaded from file:// and must:
  - log no console error, exception or CSP violation;
  - hold one element per JSON session (data-session = uid) whose
    data-flags are the session's rule ids, one data-rule element per flag,
    in order, and ladder steps (data-step) for every drawn session;
  - keep its title (the hostile capture's markup would change it to
    "pwned" if any of it ran) and show that markup as text.
A 300-session generated capture checks the lazily drawn ladders. The
screenshots of the seed case and concurrent.pcap are saved in OUTDIR (for
a person to look at) and must not be blank.

Without chromium the test is skipped (exit 77), except in CI (CI=true),
where a skipped browser test is a failure.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402

failures = []

# What the page tells about itself, as JSON.
PROBE = r"""(() => {
  const s = [...document.querySelectorAll('[data-session]')].map(e => ({
    uid: e.dataset.session, flags: e.dataset.flags,
    rules: [...e.querySelectorAll('[data-rule]')].map(f => f.dataset.rule),
    steps: e.querySelectorAll('[data-step]').length,
    lazy: e.hasAttribute('data-lazy')}));
  return JSON.stringify({title: document.title, sessions: s,
    rows: document.querySelectorAll('#session-table tbody tr').length,
    text: document.body.innerText,
    pwned: typeof window.pwned !== 'undefined'});
})()"""


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run_report(binary, cap, outdir, extra=()):
    base = os.path.join(outdir, os.path.basename(cap))
    html, js = base + ".html", base + ".json"
    p = subprocess.run([binary, "-r", cap, "-a", "-q", "-j", js, "--html",
                        html] + list(extra), capture_output=True, timeout=120)
    check(p.returncode in (0, 1), "%s: exit %d %s" % (cap, p.returncode,
                                                   p.stderr[-300:]))
    with open(js) as f:
        return html, json.load(f)


def rule_set(flags):
    out = []
    for f in flags:
        if f["rule"] not in out:
            out.append(f["rule"])
    return ",".join(out)


def compare(name, doc, page):
    want = {s["uid"]: s for s in doc["sessions"]}
    got = {s["uid"]: s for s in page["sessions"]}
    check(set(want) == set(got), "%s: sessions %s in JSON, %s in the page"
          % (name, sorted(want), sorted(got)))
    check(page["rows"] == doc["summary"]["sessions"],
          "%s: %d table rows for %d sessions" % (name, page["rows"],
                                                 doc["summary"]["sessions"]))
    for uid, s in want.items():
        g = got.get(uid)
        if g is None:
            continue
        rules = [f["rule"] for f in s.get("flags", [])]
        check(g["rules"] == rules, "%s %s: flags %s, page %s"
              % (name, uid, rules, g["rules"]))
        check(g["flags"] == rule_set(s.get("flags", [])),
              "%s %s: data-flags %r" % (name, uid, g["flags"]))
        check(g["lazy"] or g["steps"] > 0, "%s %s: no ladder step drawn"
              % (name, uid))


def not_blank(browser, name):
    """A small scaled screenshot must have ink: many colours, and not
    almost all of it the background."""
    data = browser.call("Page.captureScreenshot", session=True, format="png",
                        clip={"x": 0, "y": 0, "width": 1100, "height": 1400,
                              "scale": 0.25})["data"]
    import base64
    w, h, ch, rows = cdp.png_pixels(base64.b64decode(data))
    colours, ink = set(), 0
    bg = rows[0][:3]
    for r in rows:
        for x in range(0, w * ch, ch):
            px = r[x:x + 3]
            colours.add(px)
            ink += px != bg
    check(len(colours) > 16 and ink > w * h // 50,
          "%s: screenshot looks blank (%d colours, %d ink pixels)"
          % (name, len(colours), ink))


def load(browser, name, html):
    browser.open("file://" + os.path.abspath(html))
    errs = browser.errors()
    check(not errs, "%s: console/CSP errors: %s" % (name, errs))
    return json.loads(browser.evaluate(PROBE))


def hostile(browser, name, page, src):
    check(page["title"] == "smtpscope: " + src, "%s: title changed to %r"
          % (name, page["title"]))
    check(not page["pwned"], "%s: a script ran" % name)
    for text in ("<script>document.title='pwned'</script>",
                 "onerror=", "javascript:document.title", "\\xe2\\x80\\xae"):
        check(text in page["text"], "%s: %r not shown as text" % (name, text))
    n = browser.evaluate("document.querySelectorAll('img, iframe, object, "
                         "embed, [onerror], [onload]').length + "
                         "document.scripts.length - 1")
    check(n == 0, "%s: %d injected elements in the DOM" % (name, n))


def lazy(binary, gen, browser, outdir):
    cap = os.path.join(outdir, "lazy.pcap")
    subprocess.run([gen, "--sessions", "300", "--seed", "5", "--out", cap],
                   check=True, capture_output=True, timeout=120)
    html, doc = run_report(binary, cap, outdir)
    page = load(browser, "lazy", html)
    compare("lazy", doc, page)
    lazies = [s for s in page["sessions"] if s["lazy"]]
    check(len(lazies) == len(page["sessions"]) - 100,
          "lazy: %d of %d sessions lazy" % (len(lazies),
                                             len(page["sessions"])))
    if lazies:
        uid = lazies[-1]["uid"]
        steps = browser.evaluate(
            "(() => {const d = document.getElementById('s-%s'); d.open = true;"
            "return new Promise(r => setTimeout(() => r(d.querySelectorAll("
            "'[data-step]').length), 50));})()" % uid)
        check(steps > 0, "lazy: opening %s drew no ladder" % uid)


def refuses_input(binary, caps):
    """--html naming the input capture: exit 2 before anything is read or
    written, the capture untouched."""
    with tempfile.TemporaryDirectory(prefix="smtpscope-html-") as tmp:
        cap = os.path.join(tmp, "in.pcap")
        with open(os.path.join(caps, "seed-bdat-timeout.pcap"), "rb") as f:
            data = f.read()
        with open(cap, "wb") as f:
            f.write(data)
        os.link(cap, os.path.join(tmp, "link.pcap"))
        for out in (cap, os.path.join(tmp, "link.pcap")):
            p = subprocess.run([binary, "-r", cap, "--html", out],
                               capture_output=True, timeout=30)
            check(p.returncode == 2 and b"--html" in p.stderr,
                  "--html %s: exit %d %r" % (out, p.returncode, p.stderr))
        with open(cap, "rb") as f:
            check(f.read() == data, "--html overwrote the input capture")
        check(sorted(os.listdir(tmp)) == ["in.pcap", "link.pcap"],
              "--html left files: %s" % os.listdir(tmp))
        bad = os.path.join(tmp, "no-such-dir", "r.html")
        p = subprocess.run([binary, "-r", cap, "-q", "--html", bad],
                           capture_output=True, timeout=30)
        check(p.returncode == 2, "--html in a missing directory: exit %d"
              % p.returncode)


def static_page(binary, caps):
    """Without a browser: the hostile capture's page holds its markup only
    escaped, one script and one style, and a CSP whose hashes are theirs."""
    import base64
    import hashlib
    import re
    with tempfile.TemporaryDirectory(prefix="smtpscope-html-") as tmp:
        html, _ = run_report(binary, os.path.join(caps, "hostile-markup.pcap"),
                             tmp)
        with open(html, encoding="utf-8") as f:
            page = f.read()
    check("&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;" in page,
          "static: the script markup is not in the page escaped")
    for bad in ("<script>document", "<img", "<svg onload", "onerror=\"",
                "\u202e"):
        check(bad not in page, "static: %r in the page" % bad)
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    styles = re.findall(r"<style>(.*?)</style>", page, re.S)
    check(len(scripts) == 1 and len(styles) == 1,
          "static: %d scripts, %d styles" % (len(scripts), len(styles)))
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"',
                    page)
    check(csp is not None and "default-src 'none'" in csp.group(1),
          "static: no CSP meta tag")
    for kind, bodies in (("script-src", scripts), ("style-src", styles)):
        for b in bodies:
            h = base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()
            check(csp is not None and
                  ("%s 'sha256-%s'" % (kind, h)) in csp.group(1),
                  "static: %s does not name the page's own hash" % kind)
    check(" style=" not in page, "static: a style attribute")


def main():
    binary, caps, gen, outdir = sys.argv[1:5]
    refuses_input(binary, caps)
    static_page(binary, caps)
    skip = cdp.skip_code()
    if skip is not None:
        return 1 if failures else skip
    os.makedirs(outdir, exist_ok=True)
    browser = cdp.Browser()
    try:
        with tempfile.TemporaryDirectory(prefix="smtpscope-html-") as tmp:
            files = sorted(glob.glob(os.path.join(caps, "*.pcap")) +
                           glob.glob(os.path.join(caps, "*.pcapng")))
            for cap in files:
                name = os.path.basename(cap)
                html, doc = run_report(binary, cap, tmp)
                page = load(browser, name, html)
                compare(name, doc, page)
                if name.startswith("hostile"):
                    hostile(browser, name, page, cap)
                if name in ("seed-bdat-timeout.pcap", "concurrent.pcap",
                            "hostile-markup.pcap"):
                    browser.screenshot(os.path.join(outdir, name + ".png"))
                    not_blank(browser, name)
                    # the print stylesheet: filters hidden, ladder kept
                    browser.call("Emulation.setEmulatedMedia", session=True,
                                 media="print")
                    shown = browser.evaluate(
                        "[getComputedStyle(document.getElementById('filters'))"
                        ".display, document.querySelectorAll('svg.ladder')"
                        ".length]")
                    check(shown[0] == "none" and shown[1] > 0,
                          "%s: print view %r" % (name, shown))
                    browser.screenshot(os.path.join(outdir, name +
                                                    ".print.png"))
                    browser.call("Emulation.setEmulatedMedia", session=True,
                                 media="")
            check(any(os.path.basename(f).startswith("hostile")
                      for f in files), "no hostile capture in " + caps)
            lazy(binary, gen, browser, tmp)
            print("%d captures loaded" % len(files))
    finally:
        browser.close()
    print("%d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
