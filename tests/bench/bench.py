#!/usr/bin/python3
"""tests/bench/bench.py: `make bench`.  Measures, never asserts.

Builds the workload of the performance notes (1,000 domains: MX, mail host
A/AAAA, SPF with a two-level include, DKIM in two strings, DMARC, PTR),
serves it from unbound on loopback, and in the same run times:
  - bare_cares: the queries notspam needs (genzone.py --site writes them
    to queries.txt: per domain MX, TXT, type 99, the two include TXTs,
    DKIM, DMARC and NS; once, the shared mail host's A/AAAA/TXT/SPF, the
    two PTRs and the nameserver's NS/A/AAAA: 8,009 for 1,000 domains)
    fired by a bare c-ares program with at most 100 in flight (the floor:
    what the DNS server allows);
  - notspam check --json for all 1,000 domains (the full semantic check:
    SPF evaluated through both includes, DKIM compared, DMARC parsed...),
    its wall time, the queries it sent (from unbound's counters), queries
    per second and its peak memory (ru_maxrss).
Prints the medians of RUNS runs (default 5) and the ratio.

The zone matches the site (genzone.py --site): every domain's MX is the
site's mail host, its SPF chain authorizes the site's addresses inside the
second include, and its DKIM record carries the site's key, so every check
passes and the run measures the evaluation, not the propagation round a
failure starts.  --distinct serves the old zone instead (each domain its own
mail host and a random key: every check fails and is asked again of the
authoritative server; bare_cares then fires the 8,000 queries of the
performance notes, not the same set).  --keep DIR leaves the zones, the
site and unbound running (for profiling) and prints how to run notspam.
usage: bench.py NOTSPAM_BINARY [RUNS] [--distinct] [--keep]
"""
import base64, os, resource, shutil, statistics, subprocess, sys, tempfile, time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, **kw)

def free_port():
    import socket
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    return u.getsockname()[1]

def queries_so_far(ubdir):
    out = subprocess.run(["unbound-control", "-c", ubdir + "/unbound.conf",
                          "stats_noreset"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("total.num.queries="):
            return int(line.split("=")[1])
    return 0

def timed(cmd, env=None):
    """Wall time, the completed process and the peak RSS (KiB) of this one
    child (os.wait4: RUSAGE_CHILDREN would also count the compiler and
    openssl run before it)."""
    t = time.monotonic()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    out, err = [], []
    import threading
    th = threading.Thread(target=lambda: err.append(p.stderr.read()))
    th.start()
    out.append(p.stdout.read())
    th.join()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    p.stdout, p.stderr = out[0], err[0]
    return wall, p, ru.ru_maxrss

def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    distinct = "--distinct" in sys.argv
    keep = "--keep" in sys.argv
    binary = os.path.abspath(args[0])
    runs = int(args[1]) if len(args) > 1 else 5
    d = tempfile.mkdtemp(prefix="notspam-bench.")
    os.chmod(d, 0o755)
    port = free_port()
    ub = d + "/ub"
    try:
        # The site: the server is mail.d0001 (198.18.0.1, 2001:db8::1:1);
        # every domain is hosted and signs with selector sel1.
        root = d + "/root"
        for sub in ("etc/notspam", "etc/opendkim", "etc/dkimkeys", "etc/postfix"):
            os.makedirs(root + "/" + sub)
        sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
           "-out %s/etc/dkimkeys/k.private 2>/dev/null" % root)
        site = ""
        if not distinct:
            pub = subprocess.run(["openssl", "pkey", "-in",
                                  root + "/etc/dkimkeys/k.private", "-pubout",
                                  "-outform", "DER"], capture_output=True,
                                 check=True).stdout
            site = " --site " + base64.b64encode(pub).decode()
        sh("/usr/bin/python3 %s/tests/bench/genzone.py --out %s/zones%s >/dev/null"
           % (TOP, d, site))
        sh("cc -O2 -o %s/bare_cares %s/tests/bench/bare_cares.c $(pkg-config --cflags --libs libcares)" % (d, TOP))
        sh(". %s/tests/stack/unbound.sh && unbound_start %s %d %s/zones/*.zone" % (TOP, ub, port, d))
        names = ["d%04d.bench.example" % i for i in range(1, 1001)]
        with open(root + "/etc/notspam/notspam.conf", "w") as f:
            f.write("public_ipv4 = 198.18.0.1\npublic_ipv6 = 2001:db8::1:1\n")
        with open(root + "/etc/postfix/main.cf", "w") as f:
            f.write("myhostname = mail.d0001.bench.example\n"
                    "mydestination = " + ", ".join(names) + "\n")
        os.chmod(root + "/etc/dkimkeys/k.private", 0o600)
        with open(root + "/etc/opendkim.conf", "w") as f:
            f.write("KeyTable /etc/opendkim/key.table\n"
                    "SigningTable refile:/etc/opendkim/signing.table\n"
                    "Socket inet:8891@localhost\n")
        with open(root + "/etc/opendkim/key.table", "w") as f:
            for n in names:
                f.write("sel1._domainkey.%s %s:sel1:/etc/dkimkeys/k.private\n" % (n, n))
        with open(root + "/etc/opendkim/signing.table", "w") as f:
            for n in names:
                f.write("*@%s sel1._domainkey.%s\n" % (n, n))
        env = dict(os.environ)
        if keep:
            print("kept %s; unbound on 127.0.0.1:%d; stop it with:\n"
                  "  . tests/stack/unbound.sh && unbound_stop %s\n"
                  "%s --root %s --resolver 127.0.0.1:%d"
                  " --json check --ns-port %d" % (d, port, ub, binary, root, port, port))
            return
        bare, ns, nq, rss = [], [], [], []
        for _ in range(runs):
            q0 = queries_so_far(ub)
            t = time.monotonic()
            with open(d + "/zones/queries.txt") as qf:
                subprocess.run([d + "/bare_cares", "--server", "127.0.0.1:%d" % port,
                                "-n", "100"], stdin=qf, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, check=True)
            bare.append(time.monotonic() - t)
            bq = queries_so_far(ub) - q0
            q1 = queries_so_far(ub)
            w, p, r = timed([binary, "--root", root, "--resolver",
                             "127.0.0.1:%d" % port, "--json", "check",
                             "--ns-port", str(port)], env)
            ns.append(w)
            nq.append(queries_so_far(ub) - q1)
            rss.append(r)
        mb = statistics.median(bare)
        mn = statistics.median(ns)
        q = statistics.median(nq)
        print("bench: 1,000 domains on unbound 127.0.0.1:%d, median of %d runs, %s zone"
              % (port, runs, "distinct (every check fails)" if distinct
                 else "site-matched"))
        print("  bare c-ares, window 100: %8.3f s  %6d queries  %8.0f q/s" % (mb, bq, bq / mb))
        print("  notspam check --json:    %8.3f s  %6d queries  %8.0f q/s  peak RSS %.1f MiB"
              % (mn, q, q / mn, max(rss) / 1024.0))
        print("  ratio notspam / bare:    %8.2f x (target: within 2x)" % (mn / mb))
        print("  last check exit status %d, %d bytes of JSON" % (p.returncode, len(p.stdout)))
    finally:
        if keep:
            return
        subprocess.run(". %s/tests/stack/unbound.sh && unbound_stop %s" % (TOP, ub), shell=True)
        shutil.rmtree(d, ignore_errors=True)

if __name__ == "__main__":
    main()
