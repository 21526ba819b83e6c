# SPDX-License-Identifier: MIT
"""rvapi - one HTTP/1.1 request to rvisord's REST API on its unix socket,
for the system tests and the benchmarks (bench/clone.py)."""

import json
import socket


def request(sock_path, method, path, body=None, raw=None, timeout=600):
    """Send METHOD PATH (a JSON body, or raw bytes) on a fresh connection;
    returns (status, headers with lower-case names, parsed body): the JSON
    document, the text of a non-JSON body (metrics), or None if empty."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path)
    s.sendall(f"{method} {path} HTTP/1.1\r\nHost: rvisord\r\nConnection: close\r\n"
              f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
    resp = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        resp += chunk
    s.close()
    head, _, payload = resp.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    try:
        parsed = json.loads(payload) if payload else None
    except ValueError:
        parsed = payload.decode()
    return status, headers, parsed
