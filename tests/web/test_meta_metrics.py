"""The web app's metadata lists the metric registry (the front end formats metrics from it)."""

from __future__ import annotations

from dayafter.metrics import registry


def test_web_meta_lists_the_metrics(client):
    meta = client.get("/api/meta").json()
    assert [m["name"] for m in meta["metrics"]] == list(registry.METRICS)
    stranded = next(m for m in meta["metrics"] if m["name"] == "stranded")
    assert (stranded["level"], stranded["direction"], stranded["format"]) == ("community", "lower", ".1%")
