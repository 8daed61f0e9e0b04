"""Operator benchmarks against the Kubernetes API double (see bench/operator.sh)."""

import argparse
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

NS = "bench"


def apps_path(ns):
    return f"/apis/sparkoperator.k8s.io/v1beta2/namespaces/{ns}/sparkapplications"


def pods_path(ns):
    return f"/api/v1/namespaces/{ns}/pods"


APPS = apps_path(NS)
PODS = pods_path(NS)
CORES = os.cpu_count() or 1


def pin(cores):
    """taskset prefix pinning a process to cores, when the machine has more than one."""
    return ["taskset", "-c", cores] if CORES > 1 else []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    """A keep-alive connection per thread to the double (plain HTTP on loopback) or, given a
    TLS context, to a real API server (client-certificate auth, see kube.py)."""

    def __init__(self, port, host="127.0.0.1", tls=None):
        self.port = port
        self.host = host
        self.tls = tls
        self.local = threading.local()

    def new_conn(self, timeout):
        if self.tls is not None:
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout, context=self.tls)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def conn(self):
        c = getattr(self.local, "c", None)
        if c is None:
            c = self.new_conn(120)
            self.local.c = c
        return c

    def call(self, method, path, body=None, content_type="application/json"):
        for _ in range(3):
            try:
                c = self.conn()
                data = json.dumps(body).encode() if body is not None else None
                c.request(method, path, body=data, headers={"Content-Type": content_type})
                r = c.getresponse()
                text = r.read()
                return r.status, (json.loads(text) if text else None)
            except (http.client.HTTPException, OSError):
                self.local.c = None
        raise RuntimeError(f"{method} {path} failed")


def manifest(i):
    return {
        "apiVersion": "sparkoperator.k8s.io/v1beta2",
        "kind": "SparkApplication",
        "metadata": {"name": f"app-{i}", "namespace": NS},
        "spec": {
            "type": "Scala", "mode": "cluster", "sparkVersion": "4.0.0",
            "image": "spark:4.0.0", "mainClass": "org.apache.spark.examples.SparkPi",
            "mainApplicationFile": "local:///opt/spark/examples/jars/spark-examples.jar",
            "arguments": ["1000"],
            "driver": {"cores": 1, "memory": "512m", "serviceAccount": "spark"},
            "executor": {"instances": 5, "cores": 1, "memory": "512m"},
        },
    }


class Rig:
    """The double on one core, the operator on the other."""

    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.TemporaryDirectory()
        url_file = os.path.join(self.tmp.name, "url")
        self.double = subprocess.Popen(
            pin("1" if CORES > 1 else "0") + [args.double, "--url-file", url_file],
            stdout=subprocess.DEVNULL)
        while not os.path.exists(url_file) or not open(url_file).read():
            time.sleep(0.05)
        self.url = open(url_file).read().strip()
        self.api = Api(int(self.url.rsplit(":", 1)[1]))
        self.operator = None
        self.metrics_port = free_port()

    def start_operator(self):
        self.t0 = time.monotonic()
        self.operator = subprocess.Popen(
            pin("0") + [self.args.sparkplane, "operator", "--kube-api", self.url,
                        "--namespace", NS, "--metrics-addr", f"127.0.0.1:{self.metrics_port}",
                        "--status-workers", "64", "--submit-workers", "64"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "RUST_LOG": "error", "KUBECONFIG": "/nonexistent"})

    def metric(self, name):
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.metrics_port, timeout=5)
            c.request("GET", "/metrics")
            text = c.getresponse().read().decode()
        except OSError:
            return None
        m = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
        return float(m.group(1)) if m else None

    def cpu_seconds(self):
        fields = open(f"/proc/{self.operator.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mib(self):
        status = open(f"/proc/{self.operator.pid}/status").read()
        rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
        hwm = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))
        return rss / 1024, hwm / 1024

    def create_apps(self, start, n, threads=4):
        def one(i):
            status, _ = self.api.call("POST", APPS, manifest(i))
            assert status == 201, status
        with ThreadPoolExecutor(threads) as ex:
            list(ex.map(one, range(start, start + n)))

    def wait_submitted(self, n, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = self.metric("sparkplane_application_submit_latency_seconds_count")
            if done is not None and done >= n:
                return time.monotonic()
            time.sleep(0.1)
        raise SystemExit(f"only {self.metric('sparkplane_application_submit_latency_seconds_count')} of {n} submitted")

    def close(self):
        for p in (self.operator, self.double):
            if p:
                p.kill()
                p.wait()


def report(args, title, rows):
    lines = [f"\n## {title} ({time.strftime('%Y-%m-%d %H:%M')}, {CORES} cores)\n",
             "| measure | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    with open(args.out, "a") as f:
        f.write(text)


def throughput(args):
    n = args.n or 5000
    rig = Rig(args)
    try:
        rig.create_apps(0, n)
        rig.start_operator()
        t1 = rig.wait_submitted(n, timeout=1800)
        secs = t1 - rig.t0
        cpu = rig.cpu_seconds()
        rss, hwm = rig.rss_mib()
        report(args, f"Throughput: {n} applications waiting when the operator starts", [
            ("applications", n),
            ("time to submit all (from operator start)", f"{secs:.1f} s"),
            ("applications per minute", f"{n / secs * 60:,.0f}"),
            ("operator CPU per application", f"{cpu / n * 1000:.2f} ms"),
            ("operator CPU, all", f"{cpu:.1f} s on one core"),
            ("operator resident memory after", f"{rss:.1f} MiB (peak {hwm:.1f} MiB)"),
        ])
    finally:
        rig.close()


def watch(api, path, on_event, stop):
    """Follows a watch, calling on_event(type, object, time) for each event."""
    c = api.new_conn(3600)
    c.request("GET", path + ("&" if "?" in path else "?") + "watch=true")
    r = c.getresponse()
    buf = b""
    while not stop.is_set():
        try:
            chunk = r.read1(65536)
        except (http.client.HTTPException, OSError, ValueError):
            # The double was stopped at the end of the run.
            break
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if line.strip():
                ev = json.loads(line)
                on_event(ev["type"], ev["object"], time.monotonic())


def lag(args):
    minutes = args.n or 1
    rate = 1000 / 60.0
    n = int(1000 * minutes)
    rig = Rig(args)
    stop = threading.Event()
    running_set = {}
    app_running = {}
    kubelet = Api(rig.api.port)
    pool = ThreadPoolExecutor(2)

    def on_pod(kind, pod, t):
        labels = pod["metadata"].get("labels", {})
        if kind == "ADDED" and labels.get("spark-role") == "driver":
            name = pod["metadata"]["name"]

            def run():
                kubelet.call("PATCH", f"{PODS}/{name}/status", {"status": {"phase": "Running"}},
                             "application/merge-patch+json")
                running_set[labels["sparkoperator.k8s.io/app-name"]] = time.monotonic()
            pool.submit(run)

    def on_app(kind, app, t):
        state = app.get("status", {}).get("applicationState", {}).get("state")
        name = app["metadata"]["name"]
        if state == "RUNNING" and name not in app_running:
            app_running[name] = t

    try:
        rig.start_operator()
        time.sleep(1)
        threading.Thread(target=watch, args=(rig.api, PODS, on_pod, stop), daemon=True).start()
        threading.Thread(target=watch, args=(rig.api, APPS, on_app, stop), daemon=True).start()
        start = time.monotonic()
        for i in range(n):
            due = start + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            status, _ = rig.api.call("POST", APPS, manifest(i))
            assert status == 201
        deadline = time.monotonic() + 120
        while len(app_running) < n and time.monotonic() < deadline:
            time.sleep(0.2)
        lags = sorted(app_running[a] - running_set[a] for a in app_running if a in running_set)
        if not lags:
            raise SystemExit("no application reached RUNNING")
        q = lambda p: lags[min(len(lags) - 1, int(p * len(lags)))]
        cpu = rig.cpu_seconds()
        report(args, f"Status lag: {n} applications arriving at 1,000/minute", [
            ("applications", n),
            ("reached RUNNING", len(app_running)),
            ("lag driver Running → application RUNNING, median", f"{statistics.median(lags) * 1000:.0f} ms"),
            ("lag, p99", f"{q(0.99) * 1000:.0f} ms"),
            ("lag, max", f"{lags[-1] * 1000:.0f} ms"),
            ("operator CPU, all", f"{cpu:.1f} s"),
        ])
    finally:
        stop.set()
        rig.close()


def memory(args):
    n = args.n or 10000
    rig = Rig(args)
    try:
        rig.create_apps(0, n)
        rig.start_operator()
        rig.wait_submitted(n, timeout=3600)
        _, pods = rig.api.call("GET", PODS + "?labelSelector=spark-role%3Ddriver")
        drivers = pods["items"]

        def executors(pod):
            labels = pod["metadata"]["labels"]
            for e in range(1, 6):
                body = {"apiVersion": "v1", "kind": "Pod", "metadata": {
                    "name": f"{pod['metadata']['name']}-exec-{e}",
                    "labels": {**labels, "spark-role": "executor", "spark-exec-id": str(e)}},
                    "spec": {"containers": [{"name": "spark-kubernetes-executor", "image": "spark:4.0.0"}]}}
                status, _ = rig.api.call("POST", PODS, body)
                assert status == 201, status
        with ThreadPoolExecutor(4) as ex:
            list(ex.map(executors, drivers))
        _, all_pods = rig.api.call("GET", PODS)
        total = len(all_pods["items"])
        # Let the operator take in every pod event.
        last = None
        while True:
            time.sleep(5)
            cpu = rig.cpu_seconds()
            if last is not None and cpu - last < 0.5:
                break
            last = cpu
        rss, hwm = rig.rss_mib()
        report(args, f"Memory: {n} applications, {total} pods", [
            ("applications", n),
            ("pods (drivers and executors)", total),
            ("operator resident memory", f"{rss:.1f} MiB"),
            ("operator peak resident memory", f"{hwm:.1f} MiB"),
        ])
    finally:
        rig.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sparkplane", required=True)
    p.add_argument("--double", help="the API double (kube-double); not with --kube")
    p.add_argument("--kube", metavar="KUBECONFIG", help="a real API server instead (see kube_bench.py)")
    p.add_argument("--kubectl", default="kubectl", help="with --kube: the kubectl to use")
    p.add_argument("--kwok", help="with --kube lag: kwok's binary (without: this script moves the phases)")
    p.add_argument("--kwok-stages", help="with --kwok: kwok's kustomize/stage directory")
    p.add_argument("--spark-home", help="with --kube spark: the Spark distribution for spark-submit")
    p.add_argument("--budget", type=float, default=240,
                   help="with --kube memory: seconds to spend creating applications and pods")
    p.add_argument("--out", required=True)
    p.add_argument("what", choices=["throughput", "lag", "memory", "spark"])
    p.add_argument("n", nargs="?", type=int)
    args = p.parse_args()
    if args.kube:
        import kube_bench
        kube_bench.run(args)
        return
    if args.double is None or args.what == "spark":
        p.error("against the double: --double is needed, and `spark` needs --kube")
    {"throughput": throughput, "lag": lag, "memory": memory}[args.what](args)


if __name__ == "__main__":
    main()
