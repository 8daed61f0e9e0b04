"""Runs the submission benchmark; see bench/submit.sh."""
import argparse, os, resource, statistics, subprocess, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "conformance" / "cases"

def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime

def timed(cmd, cwd, env):
    c0, w0 = children_cpu(), time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wall, cpu = time.perf_counter() - w0, children_cpu() - c0
    if p.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd[:3])}... in {cwd}:\n{p.stderr.decode()[-2000:]}")
    return wall, cpu, p.stdout.decode()

def main():
    a = argparse.ArgumentParser()
    for f in ("--sparkplane", "--double", "--spark-home", "--version", "--out"):
        a.add_argument(f, required=True)
    a.add_argument("--repeats", type=int, default=20)
    args = a.parse_args()
    tmp = Path(tempfile.mkdtemp())
    doubles = []

    def fresh_api():
        # A new, empty API double per case (some cases fix the pod name), untimed.
        for d in doubles:
            d.terminate()
        url_file = tmp / f"url{len(doubles)}"
        doubles.append(subprocess.Popen([args.double, "--url-file", str(url_file)]))
        for _ in range(200):
            if url_file.exists() and url_file.read_text():
                break
            time.sleep(0.02)
        url = url_file.read_text()
        return [l.replace("@URL@", url) for l in (ROOT / "conformance" / "common-args").read_text().splitlines()]

    try:
        empty = tmp / "conf"
        empty.mkdir()
        rows, ss_wall, ss_cpu, sp_wall, sp_cpu, builds, inproc = [], [], [], [], [], [], []
        cases = sorted(d for d in CASES.iterdir() if (d / "args").exists())
        for case in cases:
            common = fresh_api()
            case_args = [l for l in (case / "args").read_text().splitlines() if l]
            env = {k: v for k, v in os.environ.items() if k not in ("HADOOP_CONF_DIR", "SPARK_LOCAL_DIRS", "SPARK_HOME")}
            env.update(LC_ALL="C.UTF-8", LANG="C.UTF-8", SPARK_USER="bench", KUBECONFIG=str(tmp / "none"),
                       SPARK_CONF_DIR=str(case / "conf") if (case / "conf").is_dir() else str(empty))
            if (case / "env").exists():
                for l in (case / "env").read_text().splitlines():
                    if l.startswith("-u "):
                        env.pop(l[3:], None)
                    elif "=" in l:
                        env.update([l.split("=", 1)])
            w, c, _ = timed([f"{args.spark_home}/bin/spark-submit", *common, *case_args], case, env)
            ss_wall.append(w); ss_cpu.append(c)
            pw, pc = [], []
            fixed_name = any("spark.kubernetes.driver.pod.name" in a for a in case_args)
            common = fresh_api()
            for _ in range(args.repeats):
                if fixed_name:
                    # The same pod name cannot be created twice in one API.
                    common = fresh_api()
                w2, c2, _ = timed([args.sparkplane, "submit", "--spark-version", args.version, *common, *case_args], case, env)
                pw.append(w2); pc.append(c2)
            in_us = None
            if not fixed_name:
                common = fresh_api()
                _, _, out = timed([args.sparkplane, "submit", "--bench-submissions", "500", "--spark-version", args.version,
                                   *common, *case_args], case, env)
                in_us = float(out.split()[0]); inproc.append(in_us)
            sp_wall.append(statistics.median(pw)); sp_cpu.append(statistics.median(pc))
            _, _, out = timed([args.sparkplane, "submit", "--dry-run", "--bench-builds", "5000",
                               "--spark-version", args.version, *common, *case_args], case, env)
            us = float(out.split()[0]); builds.append(us)
            rows.append((case.name, w, c, statistics.median(pw), statistics.median(pc), us, in_us))
            print(f"{case.name:34s} spark-submit {w*1000:8.0f} ms wall {c*1000:7.0f} ms CPU | "
                  f"sparkplane {statistics.median(pw)*1000:6.2f} ms wall {statistics.median(pc)*1000:6.2f} ms CPU | builder {us:6.1f} us", flush=True)
    finally:
        for d in doubles:
            d.terminate()
    m = statistics.median
    cpus = os.cpu_count()
    lines = [
        f"# Submission benchmark (Spark {args.version})", "",
        f"Command: `bench/submit.sh {args.version} {args.repeats}`. Machine: {cpus} cores. "
        f"{len(rows)} conformance cases against the Kubernetes API double on loopback; each case once with "
        f"spark-submit {args.version} and {args.repeats} times with `sparkplane submit` (median taken), interleaved. "
        "Wall is the whole process, from exec to exit; CPU is user+system of the process and its children. "
        "The API double is started fresh for each case (untimed) and kept warm across that case's "
        "submissions, as a real API server is (for the case that fixes the pod name, fresh per submission). "
        "Builder: `build_driver` alone, thread CPU time, 5000 builds per case (release build). "
        "In one process: 500 submissions of the case through one client (ids derived per submission), "
        "builder and HTTP included, as the operator submits; the API double shares the two cores. "
        "Cases that fix the driver pod name are left out of that column.", "",
        "| | spark-submit | sparkplane submit | ratio |", "|---|---:|---:|---:|",
        f"| wall per submission, median | {m(ss_wall)*1000:.0f} ms | {m(sp_wall)*1000:.2f} ms | {m(ss_wall)/m(sp_wall):.0f}x |",
        f"| wall per submission, mean | {statistics.mean(ss_wall)*1000:.0f} ms | {statistics.mean(sp_wall)*1000:.2f} ms | {statistics.mean(ss_wall)/statistics.mean(sp_wall):.0f}x |",
        f"| CPU per submission, median | {m(ss_cpu)*1000:.0f} ms | {m(sp_cpu)*1000:.2f} ms | {m(ss_cpu)/max(m(sp_cpu),1e-6):.0f}x |",
        f"| submissions per minute, one at a time | {60/m(ss_wall):.0f} | {60/m(sp_wall):.0f} | |",
        f"| wall per submission in one process (the operator's path), median | {m(ss_wall)*1000:.0f} ms | {m(inproc)/1000:.2f} ms | {m(ss_wall)/(m(inproc)/1e6):.0f}x |",
        f"| builder alone, CPU per application | (inside the JVM) | median {m(builds):.1f} us, max {max(builds):.1f} us | |",
        "", "## Per case", "",
        "| case | spark-submit wall ms | CPU ms | sparkplane wall ms | CPU ms | in one process us | builder us |", "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        inp = "-" if r[6] is None else f"{r[6]:.0f}"
        lines.append(f"| {r[0]} | {r[1]*1000:.0f} | {r[2]*1000:.0f} | {r[3]*1000:.2f} | {r[4]*1000:.2f} | {inp} | {r[5]:.1f} |")
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:13]))

main()
