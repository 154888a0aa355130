#!/usr/bin/python3
"""tests/bench/bench.py: `make bench`.  Measures, never asserts.

Builds the workload of the performance notes (1,000 domains: MX, mail host
A/AAAA, SPF with a two-level include, DKIM in two strings, DMARC, PTR),
serves it from unbound on loopback, and in the same run times:
  - bare_cares: the same 8,000 queries fired by a bare c-ares program with
    at most 100 in flight (the floor: what the DNS server allows);
  - notspam check --json for all 1,000 domains (the full semantic check:
    SPF evaluated through both includes, DKIM compared, DMARC parsed...),
    its wall time, the queries it sent (from unbound's counters), queries
    per second and its peak memory (ru_maxrss).
Prints the medians of RUNS runs (default 5) and the ratio.
usage: bench.py NOTSPAM_BINARY [RUNS]
"""
import os, resource, shutil, statistics, subprocess, sys, tempfile, time

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
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.monotonic()
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    wall = time.monotonic() - t
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, p, max(rss, before)

def main():
    binary = os.path.abspath(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    d = tempfile.mkdtemp(prefix="notspam-bench.")
    os.chmod(d, 0o755)
    port = free_port()
    ub = d + "/ub"
    try:
        sh("/usr/bin/python3 %s/tests/bench/genzone.py --out %s/zones >/dev/null" % (TOP, d))
        sh("cc -O2 -o %s/bare_cares %s/tests/bench/bare_cares.c $(pkg-config --cflags --libs libcares)" % (d, TOP))
        sh(". %s/tests/stack/unbound.sh && unbound_start %s %d %s/zones/*.zone" % (TOP, ub, port, d))
        # The site: the server is mail.d0001 (198.18.0.1, 2001:db8::1:1);
        # every domain is hosted and signs with selector sel1.
        root = d + "/root"
        for sub in ("etc/notspam", "etc/opendkim", "etc/dkimkeys", "etc/postfix"):
            os.makedirs(root + "/" + sub)
        names = ["d%04d.bench.example" % i for i in range(1, 1001)]
        with open(root + "/etc/notspam/notspam.conf", "w") as f:
            f.write("public_ipv4 = 198.18.0.1\npublic_ipv6 = 2001:db8::1:1\n")
        with open(root + "/etc/postfix/main.cf", "w") as f:
            f.write("myhostname = mail.d0001.bench.example\n"
                    "mydestination = " + ", ".join(names) + "\n")
        sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
           "-out %s/etc/dkimkeys/k.private 2>/dev/null" % root)
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
        env = dict(os.environ, NOTSPAM_NS_PORT=str(port))
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
                             "127.0.0.1:%d" % port, "--json", "check"], env)
            ns.append(w)
            nq.append(queries_so_far(ub) - q1)
            rss.append(r)
        mb = statistics.median(bare)
        mn = statistics.median(ns)
        q = statistics.median(nq)
        print("bench: 1,000 domains on unbound 127.0.0.1:%d, median of %d runs" % (port, runs))
        print("  bare c-ares, window 100: %8.3f s  %6d queries  %8.0f q/s" % (mb, bq, bq / mb))
        print("  notspam check --json:    %8.3f s  %6d queries  %8.0f q/s  peak RSS %.1f MiB"
              % (mn, q, q / mn, max(rss) / 1024.0))
        print("  ratio notspam / bare:    %8.2f x (target: within 2x)" % (mn / mb))
        print("  last check exit status %d, %d bytes of JSON" % (p.returncode, len(p.stdout)))
    finally:
        subprocess.run(". %s/tests/stack/unbound.sh && unbound_stop %s" % (TOP, ub), shell=True)
        shutil.rmtree(d, ignore_errors=True)

if __name__ == "__main__":
    main()
