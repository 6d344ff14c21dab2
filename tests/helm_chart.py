"""Renders, lints and schema-checks the Helm chart with Helm's own Go SDK (helm-python-sdk).

Used by tests/helm_chart.rs; run by hand as:
    python tests/helm_chart.py render charts/kubechat charts/kubechat/ci/slack-postgres-values.yaml
Commands (each prints one JSON object on stdout):
    render CHART [VALUES.yaml…]  {"manifests": {template path: text}} or {"ok": false, "error": "..."}
    lint CHART [VALUES.yaml…]    helm lint's report ({"messages": [...], "errors": [...]})
    schema CHART [VALUES.yaml…]  {"ok": true} or {"ok": false, "error": "..."}
Several values files merge like `helm -f a.yaml -f b.yaml` (later files win).
"""

import json
import sys

import helm_python as helm

RELEASE = "kubechat"
NAMESPACE = "chatops"


def merge(base, over):
    """Deep-merges `over` into `base` the way Helm coalesces -f files (maps merge, rest replaces)."""
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


def values_of(paths):
    values = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            merge(values, helm.values_from_yaml(f.read()) or {})
    return values


def main(argv):
    if len(argv) < 3 or argv[1] not in ("render", "lint", "schema"):
        print(__doc__, file=sys.stderr)
        return 2
    command, chart_dir = argv[1], argv[2]
    values = values_of(argv[3:])
    if command == "lint":
        report = helm.lint(chart_dir, values, strict=True, namespace=NAMESPACE)
        print(json.dumps(report))
        return 0
    with helm.Chart.load(chart_dir) as chart:
        try:
            if command == "schema":
                chart.validate_schema(values)
                out = {"ok": True}
            else:
                # As `helm install` does: the schema is checked first, then templates render.
                manifests = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
                out = {"manifests": manifests}
        except helm.HelmError as e:
            out = {"ok": False, "error": str(e)}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
