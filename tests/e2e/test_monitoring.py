"""/metrics, /api/system, X-Process-Time and the slow-request log."""

import logging

import pytest

from tests.e2e.conftest import Api
from tests.e2e.wsclient import Ws

pytestmark = pytest.mark.gen_test


async def test_metrics_report_connections_messages_deliveries_caches_and_latency(start_server):
    running = await start_server()
    api = Api(running.base)
    alice, ta = await api.register("alice")
    ws = await Ws.connect(running.ws_base, ta)
    conv = await api.call("POST", "/api/conversations", {"type": "group", "name": "m"}, token=ta)
    await ws.request(
        "message.send", {"conversation_id": conv.body["id"], "client_id": "1", "text": "x"}
    )
    await api.call("GET", f"/api/conversations/{conv.body['id']}/messages", token=ta)
    r = await api.http.fetch(running.base + "/metrics", raise_error=False)
    assert r.code == 200 and r.headers["Content-Type"].startswith("text/plain")
    text = r.body.decode()
    for needle in [
        "ezchat_ws_connections 1.0",
        "ezchat_messages_sent_total 1.0",
        "ezchat_fanout_deliveries_total",
        'ezchat_http_request_duration_seconds_bucket{handler="MessagesHandler"',
        'ezchat_cache_hits_total{cache="pages"}',
        "ezchat_storage_operation_seconds_count",
        "ezchat_message_batch_size_count 1.0",
        "ezchat_bus_events_published_total",
        "ezchat_bus_events_received_total 0.0",
        "ezchat_bus_events_dropped_total 0.0",
    ]:
        assert needle in text, needle
    api.http.close()


async def test_made_up_methods_do_not_grow_the_metrics_label_set(start_server):
    running = await start_server()
    api = Api(running.base)
    for method in ("BREW", "WHEN", "PROPFIND"):
        r = await api.call(method, "/api/users/me")
        assert r.status == 405, (method, r.status)
    text = (await api.http.fetch(running.base + "/metrics")).body.decode()
    assert 'method="OTHER"' in text
    assert not any(m in text for m in ("BREW", "WHEN", "PROPFIND"))
    api.http.close()


async def test_api_system_reports_every_field_of_the_product_readme(start_server):
    running = await start_server(debug=True)
    api = Api(running.base)
    _, token = await api.register("alice")
    r = await api.call("GET", "/api/system", token=token)
    assert r.status == 200
    assert set(r.body["system"]) == {
        "cpu_percent",
        "memory_percent",
        "memory_used_gb",
        "memory_total_gb",
        "disk_percent",
        "disk_free_gb",
        "disk_total_gb",
        "platform",
        "python_version",
        "uptime_seconds",
    }
    assert set(r.body["process"]) == {"memory_mb", "connections", "threads", "pid"}
    assert r.body["timestamp"]
    ez = r.body["ezchat"]
    assert {"connections", "online_users", "caches", "write_batches", "uptime_seconds"} <= set(ez)
    assert {"hits", "misses", "hit_ratio", "size"} <= set(ez["caches"]["users"])
    assert (await api.call("GET", "/api/system")).status == 401
    api.http.close()


async def test_api_system_does_not_exist_in_production(start_server):
    running = await start_server(debug=False, host="127.0.0.1")
    api = Api(running.base)
    _, token = await api.register("alice")
    r = await api.call("GET", "/api/system", token=token)
    assert r.status == 404 and r.error == "not_found"
    api.http.close()


async def test_slow_requests_are_logged_with_method_path_status_and_time(start_server, caplog):
    running = await start_server(slow_request_ms=0)
    api = Api(running.base)
    with caplog.at_level(logging.WARNING, logger="ezchat.http"):
        r = await api.call("GET", "/health")
    assert r.status == 200
    assert any("slow request: GET /health -> 200 in" in rec.message for rec in caplog.records)
    api.http.close()


async def test_the_event_loop_lag_shows_a_stall(start_server):
    import asyncio
    import re
    import time

    running = await start_server()
    api = Api(running.base)

    def lag_counts() -> tuple[float, float]:
        text = body.decode()
        under = re.search(r'ezchat_event_loop_lag_seconds_bucket\{le="0\.25"\} (\S+)', text)
        total = re.search(r"ezchat_event_loop_lag_seconds_count (\S+)", text)
        assert under and total, text[-2000:]
        return float(under.group(1)), float(total.group(1))

    await asyncio.sleep(0.35)  # a few probes, none late
    body = (await api.http.fetch(running.base + "/metrics")).body
    under, total = lag_counts()
    assert total >= 2
    late_before = total - under
    time.sleep(0.4)  # the server shares this loop: it stalls too
    await asyncio.sleep(0.25)
    body = (await api.http.fetch(running.base + "/metrics")).body
    under, total = lag_counts()
    assert total - under >= late_before + 1  # one more probe ran over 250 ms late
    api.http.close()
