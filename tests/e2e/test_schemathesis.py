"""Schemathesis, from outside, against the live server (`python main.py`): every operation of
the published OpenAPI document, authenticated, bounded in examples and time. No 5xx, no status
code the document does not list, no body or header that breaks its schema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.e2e.processes import ServerProcess, register

CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance,response_headers_conformance"
)


def test_the_live_server_conforms_to_its_openapi_document(tmp_path):
    server = ServerProcess(
        tmp_path,
        MESSAGE_RATE_PER_SEC="1000000",
        MESSAGE_BURST="1000000",
        LOG_LEVEL="ERROR",
    )
    try:
        server.wait_ready()
        _, token = register(server.base, "fuzzer")
        reports = tmp_path / "schemathesis"
        st = Path(sys.executable).with_name("st")
        run = subprocess.run(
            [
                str(st),
                "run",
                f"{server.base}/api/openapi.json",
                "--header",
                f"Authorization: Bearer {token}",
                "--checks",
                CHECKS,
                "--max-examples",
                "10",
                "--generation-deterministic",
                "--workers",
                "1",
                "--max-time",
                "45",  # bounded: the whole suite stays within its 10 minutes
                "--request-timeout",
                "10",
                "--no-color",
                "--report",
                "json",
                "--report-dir",
                str(reports),
            ],
            capture_output=True,
            text=True,
            timeout=240,
        )
        summary = run.stdout[run.stdout.rfind("SUMMARY") :]
        print(summary)  # cases and failures, for the record (pytest -s)
        assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
        report = json.loads(next(reports.glob("*.json")).read_text())
        assert report, "schemathesis wrote no report"
    finally:
        server.stop()
