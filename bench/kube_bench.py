"""Operator benchmarks against a real API server: the kube-lab cluster (bench/operator.sh --kube).

The same measures as against the double (operator_bench.py), with what a real cluster changes:
the operator is already running when the applications arrive, the pods' phases are moved by
kwok's fake kubelet (or, without kwok, by this script through pods/status), and one more
benchmark runs real Spark on the real node. Every request goes to the kubeconfig's server,
which must be the lab's node address or loopback. Each benchmark works in its own namespace
`bench-*`, deleted at the end.
"""

import base64
import json
import os
import ssl
import statistics
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

from operator_bench import Api, Rig, apps_path, free_port, pin, pods_path, report, watch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALLOWED_HOSTS = {"10.250.0.1", "127.0.0.1", "localhost", "::1"}
SPARK_VERSION = "4.3.0"
SPARK_IMAGE = "sparkplane/spark:4.3.0"
EXAMPLES_JAR = "local:///opt/spark/examples/jars/sparkplane-examples.jar"
MAIN_CLASS = "org.sparkplane.examples.SparkPi"
# A node label no node has: drivers wait unscheduled, so no Spark runs.
NOWHERE = {"sparkplane.io/bench-node": "nowhere"}
# kwok's fake node: its label, and the taint that keeps every real pod off it.
KWOK_NODE = "bench-kwok-node"
KWOK_LABEL = {"sparkplane.io/bench-node": "kwok"}
KWOK_TAINT = {"key": "sparkplane.io/bench-kwok", "value": "fake", "effect": "NoSchedule"}
KWOK_TOLERATION = {"key": "sparkplane.io/bench-kwok", "operator": "Equal", "value": "fake",
                   "effect": "NoSchedule"}


class Kube:
    """The kubeconfig's server and credentials, and the lab's kubectl."""

    def __init__(self, kubeconfig, kubectl):
        self.kubeconfig = kubeconfig
        self.kubectl_bin = kubectl
        self.tmp = tempfile.TemporaryDirectory(prefix="bench-kube-")
        cfg = json.loads(self.kubectl("config", "view", "--raw", "--minify", "-o", "json"))
        cluster = cfg["clusters"][0]["cluster"]
        user = cfg["users"][0]["user"]
        self.server = cluster["server"]
        url = urlparse(self.server)
        if url.hostname not in ALLOWED_HOSTS:
            raise SystemExit(f"{kubeconfig}: clusters[0].cluster.server: expected the lab "
                             f"(https://10.250.0.1:6443) or loopback, got {self.server}")
        tls = ssl.create_default_context(cafile=self.file(cluster, "certificate-authority", "ca.crt"))
        tls.load_cert_chain(self.file(user, "client-certificate", "client.crt"),
                            self.file(user, "client-key", "client.key"))
        self.api = Api(url.port or 443, host=url.hostname, tls=tls)

    def file(self, section, key, name):
        """A credential as a file: the kubeconfig's path, or its inline data written out."""
        if key in section:
            return section[key]
        path = os.path.join(self.tmp.name, name)
        with open(path, "wb") as f:
            f.write(base64.b64decode(section[f"{key}-data"]))
        os.chmod(path, 0o600)
        return path

    def kubectl(self, *args, stdin=None, check=True, timeout=300):
        o = subprocess.run([self.kubectl_bin, *args], input=stdin, capture_output=True, text=True,
                           env={**os.environ, "KUBECONFIG": self.kubeconfig}, timeout=timeout)
        if check and o.returncode != 0:
            raise SystemExit(f"kubectl {' '.join(args)}: {o.stderr.strip()}")
        return o.stdout

    def apply(self, obj):
        self.kubectl("apply", "-f", "-", stdin=json.dumps(obj))

    def namespace(self, ns):
        """A namespace with the driver ServiceAccount and the chart's driver rules."""
        if not ns.startswith("bench-"):
            raise SystemExit(f"namespace {ns}: expected a name starting bench-")
        self.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        rules = open(os.path.join(ROOT, "deploy/helm/sparkplane-operator/files/driver-rules.yaml")).read()
        indented = "".join("  " + line + "\n" for line in rules.splitlines())
        yaml = (f"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: spark\n  namespace: {ns}\n"
                f"---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n"
                f"  name: spark-driver\n  namespace: {ns}\nrules:\n{indented}"
                f"---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n"
                f"  name: spark-driver\n  namespace: {ns}\nroleRef:\n"
                f"  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: spark-driver\n"
                f"subjects:\n  - kind: ServiceAccount\n    name: spark\n    namespace: {ns}\n")
        self.kubectl("apply", "-f", "-", stdin=yaml)

    def delete_namespace(self, ns, wait_seconds=240):
        self.kubectl("delete", "namespace", ns, "--wait=false", "--ignore-not-found", check=False)
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            o = subprocess.run([self.kubectl_bin, "get", "namespace", ns], capture_output=True,
                               env={**os.environ, "KUBECONFIG": self.kubeconfig})
            if o.returncode != 0:
                return True
            time.sleep(2)
        print(f"namespace {ns} still terminating after {wait_seconds} s", flush=True)
        return False


def manifest(ns, i, node_selector, tolerations=(), name_prefix="app"):
    """A small SparkPi application on the lab's Spark image."""
    driver = {"cores": 1, "coreRequest": "250m", "memory": "512m", "serviceAccount": "spark",
              "nodeSelector": node_selector}
    if tolerations:
        driver["tolerations"] = list(tolerations)
    return {
        "apiVersion": "sparkoperator.k8s.io/v1beta2",
        "kind": "SparkApplication",
        "metadata": {"name": f"{name_prefix}-{i}", "namespace": ns},
        "spec": {
            "type": "Scala", "mode": "cluster", "sparkVersion": SPARK_VERSION,
            "image": SPARK_IMAGE, "imagePullPolicy": "IfNotPresent",
            "mainClass": MAIN_CLASS, "mainApplicationFile": EXAMPLES_JAR, "arguments": ["10"],
            "restartPolicy": {"type": "Never"},
            "driver": driver,
            "executor": {"instances": 1, "cores": 1, "coreRequest": "250m", "memory": "512m"},
        },
    }


class KubeRig:
    """A bench-* namespace on the real cluster and our own operator watching only it, pinned
    to core 0 (the API server, etcd, this script and everything else share the machine)."""

    def __init__(self, args, what):
        self.args = args
        self.kube = Kube(args.kube, args.kubectl)
        self.api = self.kube.api
        self.ns = f"bench-{what}-{time.strftime('%H%M%S')}"
        self.kube.namespace(self.ns)
        self.apps = apps_path(self.ns)
        self.pods = pods_path(self.ns)
        self.operator = None
        self.metrics_port = free_port()
        self.log = open(os.path.join(self.kube.tmp.name, "operator.log"), "w")

    def start_operator(self):
        self.operator = subprocess.Popen(
            pin("0") + [self.args.sparkplane, "operator", "--namespace", self.ns,
                        "--metrics-addr", f"127.0.0.1:{self.metrics_port}",
                        "--status-workers", "64", "--submit-workers", "64"],
            stdout=self.log, stderr=self.log,
            env={**os.environ, "RUST_LOG": "warn", "KUBECONFIG": self.args.kube})
        self.t0 = time.monotonic()
        deadline = self.t0 + 60
        while self.metric("sparkplane_application_submit_latency_seconds_count") is None:
            if self.operator.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the operator did not start: {self.tail_log()}")
            time.sleep(0.2)

    def api_calls(self):
        """The operator's own count of its API calls by verb and code, and its reconcile
        errors: where its time on a real server goes."""
        import http.client
        import re
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.metrics_port, timeout=5)
            c.request("GET", "/metrics")
            text = c.getresponse().read().decode()
        except OSError:
            return "(metrics unavailable)"
        found = re.findall(r"^sparkplane_(kube_api_calls|reconcile_errors)(?:_total)?\{([^}]*)\} (\S+)$", text, re.M)
        return "; ".join(labels.replace('"', "") + f" {float(v):.0f}" for _, labels, v in found) or "(none)"

    def tail_log(self):
        self.log.flush()
        return open(self.log.name).read()[-2000:]

    # The operator's process is read as against the double.
    metric = Rig.metric
    cpu_seconds = Rig.cpu_seconds
    rss_mib = Rig.rss_mib

    def create(self, objs, threads=4):
        """POSTs the applications; returns the time each one was sent."""
        sent = {}

        def one(obj):
            sent[obj["metadata"]["name"]] = time.monotonic()
            status, body = self.api.call("POST", self.apps, obj)
            if status != 201:
                raise SystemExit(f"creating {obj['metadata']['name']}: {status} {body}")
        with ThreadPoolExecutor(threads) as ex:
            list(ex.map(one, objs))
        return sent

    def close(self):
        if self.operator:
            self.operator.kill()
            self.operator.wait()
        self.kube.delete_namespace(self.ns)


def quantiles(xs):
    xs = sorted(xs)
    q = lambda p: xs[min(len(xs) - 1, int(p * len(xs)))]
    return statistics.median(xs), q(0.99), xs[-1]


def ms(x):
    return f"{x * 1000:.0f} ms"


def drivers_seen(rig, stop, on_running=None):
    """Watches the namespace's driver pods: app name -> first time seen, and (with on_running)
    calls on_running(app, time) the first time each is seen Running."""
    seen, running = {}, {}

    def on_pod(kind, pod, t):
        labels = pod["metadata"].get("labels", {})
        if labels.get("spark-role") != "driver":
            return
        app = labels.get("sparkoperator.k8s.io/app-name")
        seen.setdefault(app, t)
        if pod.get("status", {}).get("phase") == "Running" and app not in running:
            running[app] = t
            if on_running:
                on_running(app, t)
    threading.Thread(target=watch, args=(rig.api, rig.pods + "?labelSelector=spark-role%3Ddriver",
                                         on_pod, stop), daemon=True).start()
    return seen, running


def wait_until(cond, timeout):
    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:
        time.sleep(0.2)
    return cond()


def throughput(args):
    n = args.n or 1000
    rig = KubeRig(args, "thr")
    stop = threading.Event()
    try:
        rig.start_operator()
        seen, _ = drivers_seen(rig, stop)
        time.sleep(1)
        t_first = time.monotonic()
        cpu0 = rig.cpu_seconds()
        sent = rig.create([manifest(rig.ns, i, NOWHERE) for i in range(n)])
        t_created = time.monotonic()
        wait_until(lambda: len(seen) >= n, 600)
        t_last = max(seen.values()) if seen else float("nan")
        cpu = rig.cpu_seconds() - cpu0
        rss, hwm = rig.rss_mib()
        lat = [seen[a] - sent[a] for a in seen if a in sent]
        med, p99, mx = quantiles(lat)
        secs = t_last - t_first
        report(args, f"Real API server: throughput, {n} applications created as fast as possible "
                     f"(4 client threads), the operator already running", [
            ("applications created / driver pods seen", f"{n} / {len(seen)}"),
            ("creating all (4 threads, HTTPS)", f"{t_created - t_first:.1f} s "
                                                f"({n / (t_created - t_first) * 60:,.0f}/min)"),
            ("first create → last driver pod seen", f"{secs:.1f} s"),
            ("applications per minute, apply → driver pod", f"{len(seen) / secs * 60:,.0f}"),
            ("create → driver pod, median / p99 / max", f"{ms(med)} / {ms(p99)} / {ms(mx)}"),
            ("operator CPU per application", f"{cpu / max(1, len(seen)) * 1000:.2f} ms"),
            ("operator resident memory after", f"{rss:.1f} MiB (peak {hwm:.1f} MiB)"),
            ("operator API calls, errors", rig.api_calls()),
        ])
    finally:
        stop.set()
        rig.close()


class Kwok:
    """kwok's fake kubelet for one fake node, tainted so that no real pod lands there."""

    # kwok's own stages (in its module, in the Go module cache), as kwokctl uses them by default;
    # pod-complete is left out, so the drivers stay Running.
    STAGES = ["node/fast/node-initialize.yaml", "node/heartbeat/node-heartbeat.yaml",
              "pod/fast/pod-ready.yaml", "pod/fast/pod-delete.yaml"]

    def __init__(self, kube, binary, stages_dir, log_dir):
        self.kube = kube
        kube.apply({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": KWOK_NODE, "labels": {**KWOK_LABEL, "type": "kwok"},
                         "annotations": {"kwok.x-k8s.io/node": "fake"}},
            "spec": {"taints": [KWOK_TAINT]},
        })
        self.log = open(os.path.join(log_dir, "kwok.log"), "w")
        self.proc = subprocess.Popen(
            pin("1") + [binary, "--kubeconfig", kube.kubeconfig,
                        "--manage-single-node", KWOK_NODE,
                        *[f"--config={os.path.join(stages_dir, st)}" for st in self.STAGES],
                        "--server-address", f"127.0.0.1:{free_port()}",
                        "--cidr", "10.253.0.0/16", "--node-ip", "10.253.0.1"],
            stdout=self.log, stderr=self.log)

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.kube.kubectl("delete", "node", KWOK_NODE, "--ignore-not-found", check=False)


def lag(args):
    minutes = args.n or 1
    n = int(1000 * minutes)
    rate = 1000 / 60.0
    rig = KubeRig(args, "lag")
    stop = threading.Event()
    kwok = None
    app_running = {}
    patched = {}
    kubelet = Api(rig.api.port, host=rig.api.host, tls=rig.api.tls)
    pool = ThreadPoolExecutor(2)
    try:
        if args.kwok:
            kwok = Kwok(rig.kube, args.kwok, args.kwok_stages, rig.kube.tmp.name)
            selector, tolerations = KWOK_LABEL, [KWOK_TOLERATION]
            how = "kwok's fake kubelet (scheduler binds the driver to the fake node; kwok sets Running)"
        else:
            selector, tolerations = NOWHERE, []
            how = "this script, PATCH pods/status phase=Running on the unscheduled driver"
        rig.start_operator()

        seen, running = drivers_seen(rig, stop)
        if not args.kwok:
            # Move each new driver's phase ourselves, as the double's benchmark does.
            def kick():
                done = set()
                while not stop.is_set():
                    for app in list(seen):
                        if app in done:
                            continue
                        done.add(app)

                        def run(app=app):
                            kubelet.call("PATCH", f"{rig.pods}/{app}-driver/status",
                                         {"status": {"phase": "Running"}}, "application/merge-patch+json")
                            patched[app] = time.monotonic()
                        pool.submit(run)
                    time.sleep(0.01)
            threading.Thread(target=kick, daemon=True).start()

        def on_app(kind, app, t):
            state = app.get("status", {}).get("applicationState", {}).get("state")
            name = app["metadata"]["name"]
            if state == "RUNNING" and name not in app_running:
                app_running[name] = t
        threading.Thread(target=watch, args=(rig.api, rig.apps, on_app, stop), daemon=True).start()
        time.sleep(1)
        cpu0 = rig.cpu_seconds()
        start = time.monotonic()
        for i in range(n):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            status, body = rig.api.call("POST", rig.apps, manifest(rig.ns, i, selector, tolerations))
            if status != 201:
                raise SystemExit(f"creating app-{i}: {status} {body}")
        arrival = time.monotonic() - start
        wait_until(lambda: len(app_running) >= n, 180)
        lags = [app_running[a] - running[a] for a in app_running if a in running]
        if not lags:
            raise SystemExit(f"no application reached RUNNING; operator log: {rig.tail_log()}")
        med, p99, mx = quantiles(lags)
        cpu = rig.cpu_seconds() - cpu0
        report(args, f"Real API server: status lag, {n} applications arriving at 1,000/minute", [
            ("applications / drivers Running / applications RUNNING", f"{n} / {len(running)} / {len(app_running)}"),
            ("arrival", f"{arrival:.1f} s ({n / arrival * 60:,.0f}/min)"),
            ("driver phases moved by", how),
            ("lag driver pod Running (watch) → application RUNNING (watch), median", ms(med)),
            ("lag, p99", ms(p99)),
            ("lag, max", ms(mx)),
            ("operator CPU, all", f"{cpu:.1f} s"),
            ("operator API calls, errors", rig.api_calls()),
        ])
    finally:
        stop.set()
        pool.shutdown(wait=False)
        rig.close()
        if kwok:
            kwok.close()


def memory(args):
    n = args.n or 2000
    executors = 5
    budget = args.budget
    rig = KubeRig(args, "mem")
    stop = threading.Event()
    try:
        rig.start_operator()
        seen, _ = drivers_seen(rig, stop)
        time.sleep(1)
        t0 = time.monotonic()
        rig.create([manifest(rig.ns, i, NOWHERE) for i in range(n)])
        wait_until(lambda: len(seen) >= n, budget)
        t_apps = time.monotonic() - t0
        _, pods = rig.api.call("GET", rig.pods + "?labelSelector=spark-role%3Ddriver")
        drivers = pods["items"]
        created = [0]
        lock = threading.Lock()
        deadline = t0 + budget

        def make_executors(pod):
            labels = pod["metadata"]["labels"]
            for e in range(1, executors + 1):
                if time.monotonic() > deadline:
                    return
                # Scheduling gates keep the scheduler from even trying: the pods only exist.
                body = {"apiVersion": "v1", "kind": "Pod", "metadata": {
                    "name": f"{pod['metadata']['name']}-exec-{e}",
                    "labels": {**labels, "spark-role": "executor", "spark-exec-id": str(e)}},
                    "spec": {"schedulingGates": [{"name": "sparkplane.io/bench"}],
                             "containers": [{"name": "spark-kubernetes-executor", "image": SPARK_IMAGE}]}}
                status, resp = rig.api.call("POST", rig.pods, body)
                if status != 201:
                    raise SystemExit(f"creating an executor pod: {status} {resp}")
                with lock:
                    created[0] += 1
        # Eight clients: the API server, not this script, should be what limits creation.
        with ThreadPoolExecutor(8) as ex:
            list(ex.map(make_executors, drivers))
        t_pods = time.monotonic() - t0
        total = len(drivers) + created[0]
        # Let the operator take in every pod event.
        last = None
        while True:
            time.sleep(5)
            cpu = rig.cpu_seconds()
            if last is not None and cpu - last < 0.5:
                break
            last = cpu
        rss, hwm = rig.rss_mib()
        report(args, f"Real API server: memory, {len(drivers)} applications, {total} pods", [
            ("applications (driver pods seen)", f"{n} ({len(seen)})"),
            ("pods (drivers and executors)", f"{total} ({len(drivers)} drivers, {created[0]} executors)"),
            ("time to create them", f"applications and drivers {t_apps:.0f} s, all pods {t_pods:.0f} s"),
            ("operator resident memory", f"{rss:.1f} MiB"),
            ("operator peak resident memory", f"{hwm:.1f} MiB"),
        ])
    finally:
        stop.set()
        rig.close()


def spark(args):
    """Real Spark on the real node: apply/submit → driver Running → first executor Running, for
    the operator, `sparkplane submit` and the real spark-submit, interleaved."""
    reps = args.n or 3
    rig = KubeRig(args, "spark")
    stop = threading.Event()
    spark_home = args.spark_home
    events = []  # (time, pod name, role, phase)

    def on_pod(kind, pod, t):
        labels = pod["metadata"].get("labels", {})
        events.append((t, pod["metadata"]["name"], labels.get("spark-role"),
                       pod.get("status", {}).get("phase"), kind))
    rows = []
    try:
        rig.start_operator()
        threading.Thread(target=watch, args=(rig.api, rig.pods, on_pod, stop), daemon=True).start()
        time.sleep(1)

        def submit_args(name):
            a = ["--master", f"k8s://{rig.kube.server}", "--deploy-mode", "cluster", "--name", name,
                 "--class", MAIN_CLASS]
            for conf in [f"spark.kubernetes.namespace={rig.ns}",
                         "spark.kubernetes.authenticate.driver.serviceAccountName=spark",
                         f"spark.kubernetes.container.image={SPARK_IMAGE}",
                         "spark.kubernetes.container.image.pullPolicy=IfNotPresent",
                         f"spark.kubernetes.driver.pod.name={name}-driver",
                         "spark.executor.instances=1",
                         "spark.kubernetes.driver.request.cores=250m",
                         "spark.kubernetes.executor.request.cores=250m",
                         "spark.driver.memory=512m", "spark.executor.memory=512m",
                         "spark.kubernetes.submission.waitAppCompletion=false"]:
                a += ["--conf", conf]
            return a + [EXAMPLES_JAR, "10"]

        env = {**os.environ, "KUBECONFIG": args.kube, "SPARK_HOME": spark_home}
        sides = {
            "operator": lambda name: [args.kubectl, "apply", "-f", "-"],
            "sparkplane submit": lambda name: [args.sparkplane, "submit", "--spark-version", SPARK_VERSION,
                                               *submit_args(name)],
            "spark-submit": lambda name: [os.path.join(spark_home, "bin/spark-submit"), *submit_args(name)],
        }
        for rep in range(reps):
            for k, side in enumerate(sides):
                name = f"{['op', 'native', 'ss'][k]}-{rep}"
                mark = len(events)
                t0 = time.monotonic()
                # The client's output goes to a file: a full pipe would stall it.
                log = open(os.path.join(rig.kube.tmp.name, f"{name}.log"), "w+")
                p = subprocess.Popen(sides[side](name), stdin=subprocess.PIPE, stdout=log, stderr=log,
                                     env=env, text=True)
                if side == "operator":
                    p.stdin.write(json.dumps(manifest(rig.ns, rep, {}, name_prefix="op")))
                p.stdin.close()
                exited = []
                threading.Thread(target=lambda: exited.append((p.wait(), time.monotonic())),
                                 daemon=True).start()

                # One run at a time, in an emptied namespace: the driver is named, and the
                # executors (named after the name the job gives itself) are whatever runs.
                def first(role):
                    for t, pod, r, phase, kind in events[mark:]:
                        if r == role and phase == "Running" and (role != "driver" or pod == f"{name}-driver"):
                            return t
                    return None
                ok = wait_until(lambda: first("executor") is not None, 300)
                if not wait_until(lambda: exited, 120):
                    p.kill()
                    wait_until(lambda: exited, 10)
                out, t_exit = exited[0] if exited else ("killed", time.monotonic())
                td, te = first("driver"), first("executor")
                rows.append((side, rep, None if td is None else td - t0, None if te is None else te - t0,
                             t_exit - t0, out))
                print(f"{side} #{rep}: driver Running {td and td - t0}, executor Running {te and te - t0}, "
                      f"exit {out} after {t_exit - t0:.1f} s", flush=True)
                if not ok:
                    log.seek(0)
                    print(log.read()[-3000:], flush=True)
                # Clean up before the next run, so each starts on an idle node.
                if side == "operator":
                    rig.kube.kubectl("-n", rig.ns, "delete", "sparkapplication", name, "--wait=false", check=False)
                rig.kube.kubectl("-n", rig.ns, "delete", "pod", "--all", "--grace-period=0", "--force",
                                 check=False)
                rig.kube.kubectl("-n", rig.ns, "delete", "configmap,service", "-l", "spark-app-selector",
                                 check=False)
                wait_until(lambda: not json.loads(rig.kube.kubectl("-n", rig.ns, "get", "pods", "-o", "json"))["items"], 120)
        table = []
        for side in sides:
            d = [r[2] for r in rows if r[0] == side and r[2] is not None]
            e = [r[3] for r in rows if r[0] == side and r[3] is not None]
            x = [r[4] for r in rows if r[0] == side]
            fmt = lambda v: f"median {statistics.median(v):.1f} s (min {min(v):.1f}, max {max(v):.1f}, n={len(v)})" if v else "none"
            table.append((f"{side}: start → driver Running", fmt(d)))
            table.append((f"{side}: start → first executor Running", fmt(e)))
            table.append((f"{side}: client process exit", fmt(x)))
        report(args, f"Real node, real Spark {SPARK_VERSION}: {reps} runs per side, interleaved", table)
    finally:
        stop.set()
        rig.close()


def run(args):
    {"throughput": throughput, "lag": lag, "memory": memory, "spark": spark}[args.what](args)
