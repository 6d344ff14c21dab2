"""Measures the resident memory of `kubechat serve` (the figures behind the Helm chart's
resource requests; docs/operations.md, "Memory and CPU").

    cargo build --release
    python3 tests/measure_rss.py target/release/kubechat [CONSOLE_REQUESTS] [HTTP_REQUESTS]

It starts a fake Kubernetes API server (discovery, /version, a 500-pod list, access reviews),
runs kubechat with config.example.toml pointed at it (console adapter, SQLite ledger in a temp
dir), reads VmRSS 5 s after start (idle), then sends a burst: requests typed into the console
plus concurrent HTTP requests to /healthz, /readyz and /metrics, and reads VmRSS / VmHWM again.
Prints one JSON object. Standard library only.
"""

import http.client
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

PODS = 500


def pod(i):
    return {
        "metadata": {"name": f"payment-api-{i:04d}", "namespace": "default", "uid": f"uid-{i}",
                     "resourceVersion": str(1000 + i), "creationTimestamp": "2026-12-01T10:00:00Z",
                     "labels": {"app": "payment-api"}},
        "spec": {"nodeName": f"node-{i % 7}", "containers": [{"name": "app", "image": "registry.corp/pay:1.2.3"}]},
        "status": {"phase": "Running", "podIP": f"10.1.{i // 250}.{i % 250}",
                   "containerStatuses": [{"name": "app", "ready": True, "restartCount": i % 3,
                                          "image": "registry.corp/pay:1.2.3", "imageID": "", "state": {"running": {}}}]},
    }


POD_LIST = json.dumps({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "9"},
                       "items": [pod(i) for i in range(PODS)]}).encode()

def pod_table(rows):
    """The API server's Table rendering of the pod list (what kubectl and kubechat ask for)."""
    columns = [{"name": n, "type": t, "format": "", "description": "", "priority": 0}
               for n, t in [("Name", "string"), ("Ready", "string"), ("Status", "string"),
                            ("Restarts", "string"), ("Age", "string")]]
    return json.dumps({
        "kind": "Table", "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": "9", "continue": "next" if rows < PODS else ""},
        "columnDefinitions": columns,
        "rows": [{"cells": [p["metadata"]["name"], "1/1", "Running", str(i % 3), "1d"],
                  "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": p["metadata"]}}
                 for i, p in ((i, pod(i)) for i in range(rows))],
    }).encode()


DISCOVERY = {
    "/version": {"major": "1", "minor": "33", "gitVersion": "v1.33.0", "platform": "linux/amd64"},
    "/api": {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
        {"name": "apps", "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
         "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"}}]},
    "/api/v1": {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
        {"name": n, "singularName": s, "namespaced": ns, "kind": k, "verbs": ["get", "list", "watch"]}
        for n, s, ns, k in [("pods", "pod", True, "Pod"), ("namespaces", "namespace", False, "Namespace"),
                            ("events", "event", True, "Event"), ("services", "service", True, "Service")]]},
    "/apis/apps/v1": {"kind": "APIResourceList", "groupVersion": "apps/v1", "resources": [
        {"name": "deployments", "singularName": "deployment", "namespaced": True, "kind": "Deployment",
         "verbs": ["get", "list", "watch", "patch"]}]},
}


class FakeApi(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, body):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path in DISCOVERY:
            return self.send(200, json.dumps(DISCOVERY[path]).encode())
        if path.endswith("/pods"):
            if "as=Table" in self.headers.get("Accept", ""):
                limit = dict(q.split("=", 1) for q in query.split("&") if "=" in q).get("limit", PODS)
                return self.send(200, pod_table(min(int(limit), PODS)))
            return self.send(200, POD_LIST)
        if "/pods/" in path:
            i = int(path.rsplit("-", 1)[1]) if path[-4:].isdigit() else 0
            return self.send(200, json.dumps(dict(pod(i), kind="Pod", apiVersion="v1")).encode())
        if path.endswith("/events"):
            return self.send(200, b'{"kind":"EventList","apiVersion":"v1","metadata":{},"items":[]}')
        if path.endswith("/deployments"):
            return self.send(200, b'{"kind":"DeploymentList","apiVersion":"apps/v1","metadata":{},"items":[]}')
        self.send(404, json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                   "reason": "NotFound", "code": 404, "message": f"{path} not found"}).encode())

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        review = json.loads(self.rfile.read(length) or b"{}")
        review["status"] = {"allowed": True}
        self.send(201, json.dumps(review).encode())


def status(pid):
    fields = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = round(int(value.split()[0]) / 1024, 1)  # kB -> MiB
    return fields


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def wait_until_quiet(pid, timeout=120):
    """Waits until kubechat has used no CPU for 2 s: the queued console requests are done."""
    deadline = time.time() + timeout
    last = cpu_ticks(pid)
    while time.time() < deadline:
        time.sleep(2)
        now = cpu_ticks(pid)
        if now == last:
            return
        last = now


def http_get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path)
    conn.getresponse().read()
    conn.close()


def main(argv):
    binary = os.path.abspath(argv[1])
    console_n = int(argv[2]) if len(argv) > 2 else 300
    http_n = int(argv[3]) if len(argv) > 3 else 3000
    api = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as tmp:
        kubeconfig = os.path.join(tmp, "kubeconfig")
        with open(kubeconfig, "w", encoding="ascii") as f:
            f.write(f"""apiVersion: v1
kind: Config
clusters: [{{name: fake, cluster: {{server: "http://127.0.0.1:{api.server_port}"}}}}]
users: [{{name: bot, user: {{token: fake-token}}}}]
contexts: [{{name: fake, context: {{cluster: fake, user: bot}}}}]
current-context: fake
""")
        port = 18000 + os.getpid() % 1000
        with open(os.path.join(repo, "config.example.toml"), encoding="utf-8") as f:
            config = f.read()
        config = config.replace('listen = "127.0.0.1:8080"', f'listen = "127.0.0.1:{port}"')
        config = config.replace('url = "sqlite://kubechat.db"', f'url = "sqlite://{tmp}/ledger.db"')
        config = config.replace('# kubeconfig = "/etc/kubechat/kubeconfig"', f'kubeconfig = "{kubeconfig}"')
        path = os.path.join(tmp, "config.toml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(config)
        env = dict(os.environ, KUBECHAT_USER="alice", RUST_LOG="warn")
        out_path = os.path.join(tmp, "console.out")
        out = open(out_path, "wb")
        proc = subprocess.Popen([binary, "--config", path, "serve"], stdin=subprocess.PIPE,
                                stdout=out, stderr=subprocess.DEVNULL, env=env)
        try:
            for _ in range(100):
                try:
                    http_get(port, "/healthz")
                    break
                except OSError:
                    time.sleep(0.1)
            time.sleep(5)
            idle = status(proc.pid)
            started = time.time()
            requests = ["show pods", "show pods in default", "get deployments", "describe pod payment-api-0001"]
            with ThreadPoolExecutor(32) as pool:
                paths = ["/healthz", "/readyz", "/metrics"]
                futures = [pool.submit(http_get, port, paths[i % 3]) for i in range(http_n)]
                for i in range(console_n):
                    proc.stdin.write((requests[i % len(requests)] + "\n").encode())
                proc.stdin.flush()
                for fut in futures:
                    fut.result()
            wait_until_quiet(proc.pid)
            busy = status(proc.pid)
            with open(out_path, encoding="utf-8", errors="replace") as f:
                console = f.read()
            if os.environ.get("SHOW_CONSOLE"):
                print(console[:3000], file=sys.stderr)
            answered = console.count("payment-api-0001")
            print(json.dumps({"answers_naming_a_pod": answered, "idle_rss_mib": idle["VmRSS"], "busy_rss_mib": busy["VmRSS"],
                              "peak_hwm_mib": busy["VmHWM"], "console_requests": console_n,
                              "http_requests": http_n, "pods_per_list": PODS,
                              "burst_seconds": round(time.time() - started, 1)}))
        finally:
            # Close the console first: a pending read of an open stdin delays exit on SIGTERM.
            proc.stdin.close()
            proc.terminate()
            proc.wait(timeout=10)
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
