"""Prometheus metrics of the API process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter("patchpilot_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=REGISTRY)
LATENCY = Histogram("patchpilot_http_request_seconds", "HTTP request latency", ["route"], registry=REGISTRY)
JOBS_SUBMITTED = Counter("patchpilot_jobs_submitted_total", "Jobs submitted", ["action", "status"], registry=REGISTRY)
