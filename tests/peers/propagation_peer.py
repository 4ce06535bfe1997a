"""The Python OpenTelemetry propagators (B3, AWS X-Ray), as a peer for
tests/propagation_peers.rs: reads one JSON request per line on stdin and
answers one JSON line.

  {"format": "b3"|"b3multi"|"xray", "extract": {header: value}}
    -> {"trace_id": hex|null, "span_id": hex|null, "sampled": bool}
  {"format": ..., "inject": {"trace_id": hex, "span_id": hex, "sampled": bool}}
    -> {"headers": {header: value}}
"""
import json
import sys

from opentelemetry import trace
from opentelemetry.propagators.aws import AwsXRayPropagator
from opentelemetry.propagators.b3 import B3MultiFormat, B3SingleFormat
from opentelemetry.propagators.textmap import Getter
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags


class HeaderGetter(Getter):
    """Header names are case-insensitive, as HTTP says."""

    def get(self, carrier, key):
        for name, value in carrier.items():
            if name.lower() == key.lower():
                return [value]
        return None

    def keys(self, carrier):
        return list(carrier.keys())


PROPAGATORS = {"b3": B3SingleFormat(), "b3multi": B3MultiFormat(), "xray": AwsXRayPropagator()}


def answer(request):
    propagator = PROPAGATORS[request["format"]]
    if "extract" in request:
        context = propagator.extract(carrier=request["extract"], getter=HeaderGetter())
        sc = trace.get_current_span(context).get_span_context()
        if not sc.is_valid:
            return {"trace_id": None, "span_id": None, "sampled": False}
        return {
            "trace_id": format(sc.trace_id, "032x"),
            "span_id": format(sc.span_id, "016x"),
            "sampled": sc.trace_flags.sampled,
        }
    wanted = request["inject"]
    sc = SpanContext(
        trace_id=int(wanted["trace_id"], 16),
        span_id=int(wanted["span_id"], 16),
        is_remote=False,
        trace_flags=TraceFlags(TraceFlags.SAMPLED if wanted["sampled"] else TraceFlags.DEFAULT),
    )
    carrier = {}
    propagator.inject(carrier, context=trace.set_span_in_context(NonRecordingSpan(sc)))
    return {"headers": carrier}


for line in sys.stdin:
    if line.strip():
        print(json.dumps(answer(json.loads(line))), flush=True)
