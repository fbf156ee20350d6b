"""HTTPS report downloads for the cloud PMSs (RevolutionEHR, Eyefinity): a GET with a bearer
token, the server certificate always verified (against a pinned PEM when the connector gives
one, else the system trust store), the body spooled to a temporary file while hashing it.
"""

from __future__ import annotations

import hashlib
import os
import ssl
import tempfile
from urllib.parse import urlsplit

import httpx

from gateway.core.balance_source import HttpsReport
from gateway.core.records import RemoteFile
from gateway.core.transport.base import CHUNK, TransportError


def ssl_context(report: HttpsReport) -> ssl.SSLContext:
    """Verification on; the pinned PEM replaces the system store when given."""
    if report.ca_cert:
        return ssl.create_default_context(cadata=report.ca_cert)
    return ssl.create_default_context()


def download_report(report: HttpsReport) -> RemoteFile:
    """GET the report; a refused certificate, a 4xx/5xx or a dropped connection is a
    `TransportError` (the sync stops, nothing is imported)."""
    name = urlsplit(report.url).path.rsplit("/", 1)[-1] or "report"
    headers = {"Authorization": f"Bearer {report.token}"}
    netloc = urlsplit(report.url).netloc
    try:
        with httpx.Client(verify=ssl_context(report), timeout=report.timeout_seconds) as client:
            with client.stream("GET", report.url, headers=headers) as response:
                if response.status_code != 200:
                    raise TransportError(f"{netloc} answered HTTP {response.status_code}")
                declared = response.headers.get("content-length")
                return _spool(response, name, report.max_bytes, declared)
    except ssl.SSLError as exc:
        raise TransportError(f"{netloc}: certificate refused ({exc.reason})") from exc
    except httpx.ConnectError as exc:
        raise TransportError(f"cannot connect to {netloc}: {exc}") from exc
    except httpx.HTTPError as exc:
        raise TransportError(f"report download from {netloc} failed: {type(exc).__name__}") from exc


def _spool(response: httpx.Response, name: str, limit: int,
           declared: str | None) -> RemoteFile:
    """The body into a temporary file, hashed, size-checked; removed again on any error."""
    fd, tmp = tempfile.mkstemp(prefix="gateway-report-", suffix=".download")
    try:
        digest, size = hashlib.sha256(), 0
        with os.fdopen(fd, "wb") as out:
            for chunk in response.iter_bytes(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise TransportError(f"report larger than {limit} bytes")
                out.write(chunk)
                digest.update(chunk)
        if declared is not None and int(declared) != size:
            raise TransportError(f"report cut short: {size} of {declared} bytes")
        return RemoteFile(name=name, kind="other", local_path=tmp, size=size,
                          sha256=digest.hexdigest(), remote_path=str(response.url))
    except BaseException:
        os.unlink(tmp)
        raise
