#!/usr/bin/env bash
# Validates deploy/ without a cluster: every Kubernetes manifest against the
# API schemas (kubernetes-validate, offline schemas, strict), and the
# Collector configurations (components, pipelines, addresses).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/k8s-validate
if [ ! -x "$venv/bin/kubernetes-validate" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check kubernetes-validate==1.37.0 PyYAML==6.0.4
fi
"$venv/bin/kubernetes-validate" --strict --quiet deploy/k8s/*.yaml
"$venv/bin/python" deploy/k8s/check_collector_configs.py deploy/k8s/*.yaml deploy/otel-collector.yaml
