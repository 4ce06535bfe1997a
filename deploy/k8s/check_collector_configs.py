"""Checks the Collector configurations in deploy/ without a cluster: every
component a pipeline names is configured, every configured component is of
a type the opentelemetry-collector-contrib distribution ships, and the
addresses the manifests point at each other match (the app's endpoint, the
agent's receiver, the gateway's headless Service, Jaeger's Service).

Usage: python check_collector_configs.py deploy/k8s/*.yaml deploy/otel-collector.yaml
Exits 1 with every problem listed.
"""
import sys

import yaml

KNOWN = {
    "receivers": {"otlp", "jaeger", "zipkin", "prometheus", "hostmetrics", "filelog", "otlpjsonfile"},
    "processors": {"batch", "memory_limiter", "k8sattributes", "tail_sampling", "resource", "attributes",
                   "probabilistic_sampler", "filter", "transform", "resourcedetection"},
    "exporters": {"otlp", "otlphttp", "debug", "loadbalancing", "file", "zipkin", "prometheus"},
    "extensions": {"health_check", "pprof", "zpages"},
    "connectors": {"spanmetrics", "servicegraph", "forward"},
}


def collector_configs(documents):
    """(name, config) for each Collector config: ConfigMaps' config.yaml, or a bare config."""
    for source, doc in documents:
        if not isinstance(doc, dict):
            continue
        if doc.get("kind") == "ConfigMap":
            text = (doc.get("data") or {}).get("config.yaml")
            if text:
                yield f"{source}: ConfigMap {doc['metadata']['name']}", yaml.safe_load(text)
        elif "service" in doc and "receivers" in doc:
            yield source, doc


def check_config(name, config, problems):
    for section, known in KNOWN.items():
        for component in config.get(section) or {}:
            kind = component.split("/")[0]
            if kind not in known:
                problems.append(f"{name}: {section} `{component}` is not a component the contrib distribution ships")
    pipelines = ((config.get("service") or {}).get("pipelines")) or {}
    if not pipelines:
        problems.append(f"{name}: no pipelines")
    used = {section: set() for section in ("receivers", "processors", "exporters")}
    for pipeline, spec in pipelines.items():
        for section in ("receivers", "processors", "exporters"):
            for component in spec.get(section) or []:
                used[section].add(component)
                if component not in (config.get(section) or {}):
                    problems.append(f"{name}: pipeline `{pipeline}` names {section[:-1]} `{component}`, which is not configured")
        for required in ("receivers", "exporters"):
            if not spec.get(required):
                problems.append(f"{name}: pipeline `{pipeline}` has no {required}")
    for section, names in used.items():
        for component in config.get(section) or {}:
            if component not in names:
                problems.append(f"{name}: {section[:-1]} `{component}` is configured but in no pipeline")
    processors = [p.split("/")[0] for spec in pipelines.values() for p in spec.get("processors") or []]
    if processors and "memory_limiter" in processors and processors[0] != "memory_limiter":
        problems.append(f"{name}: memory_limiter must come first in its pipeline")


def services(documents):
    out = set()
    for _, doc in documents:
        if isinstance(doc, dict) and doc.get("kind") == "Service":
            meta = doc["metadata"]
            ports = {str(p["port"]) for p in doc["spec"].get("ports", [])}
            out.add((meta["name"], meta.get("namespace", "default"), frozenset(ports)))
    return out


def check_addresses(documents, configs, problems):
    known = services(documents)

    def resolves(host, port):
        parts = host.split(".")
        return any(s[0] == parts[0] and (len(parts) < 2 or s[1] == parts[1]) and port in s[2] for s in known)

    for name, config in configs:
        for exporter, spec in (config.get("exporters") or {}).items():
            spec = spec or {}
            endpoint = spec.get("endpoint")
            if endpoint and "svc.cluster.local" in endpoint:
                host, _, port = endpoint.rpartition(":")
                if not resolves(host, port):
                    problems.append(f"{name}: exporter `{exporter}` sends to {endpoint}, which no Service here answers")
            dns = ((spec.get("resolver") or {}).get("dns")) or {}
            if dns and not resolves(dns["hostname"], str(dns.get("port", "4317"))):
                problems.append(f"{name}: exporter `{exporter}` resolves {dns['hostname']}, which no Service here is")


def main(paths):
    documents = []
    for path in paths:
        with open(path) as f:
            documents.extend((path, doc) for doc in yaml.safe_load_all(f))
    problems = []
    configs = list(collector_configs(documents))
    if not configs:
        problems.append("no Collector configuration found")
    for name, config in configs:
        check_config(name, config, problems)
    check_addresses(documents, configs, problems)
    for p in problems:
        print(p)
    print(f"{len(configs)} Collector configurations checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
