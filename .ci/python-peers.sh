#!/usr/bin/env bash
# The Python OpenTelemetry propagators, as peers for tests/propagation_peers.rs:
# a venv in target/py-peers with pinned versions from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/py-peers
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import opentelemetry.propagators.b3, opentelemetry.propagators.aws' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check \
    opentelemetry-api==1.45.2 opentelemetry-propagator-b3==1.45.1 opentelemetry-propagator-aws-xray==1.0.2
fi
echo "python peers: $("$venv/bin/python" -c 'import opentelemetry.version as v; print("opentelemetry-api", v.__version__)')"
