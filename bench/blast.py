"""A counted (not timed) HTTP load generator: an asyncio keep-alive client run as its own process.

wrk runs for a duration; the drain and webhook figures need exactly N payments, and the
create→webhook latency needs each request's send time. Reads a JSON job on stdin:
``{"host", "port", "headers": {...}, "requests": [{"method", "path", "body"?}], "concurrency", "rate"?}``
and writes one JSON object to the file its argument names: ``{"results": [[sent_at_unix, status, id_or_null], ...], "seconds"}``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time


async def _read_response(reader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return status, body


def _encode(job, req) -> bytes:
    body = req.get("body")
    data = json.dumps(body).encode() if body is not None else b""
    headers = {"Host": f"{job['host']}:{job['port']}", **job.get("headers", {}), **req.get("headers", {})}
    if body is not None:
        headers["Content-Type"] = "application/json"
    headers["Content-Length"] = str(len(data))
    head = f"{req['method']} {req['path']} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    return head.encode() + data


async def _worker(job, queue, results, pacer):
    reader, writer = await asyncio.open_connection(job["host"], job["port"])
    try:
        while True:
            try:
                index = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            if pacer is not None:
                await pacer(index)
            sent = time.time()
            writer.write(_encode(job, job["requests"][index]))
            status, body = await _read_response(reader)
            ident = None
            if body[:1] == b"{":
                try:
                    ident = json.loads(body).get("id")
                except ValueError:
                    pass
            results[index] = [sent, status, ident]
    finally:
        writer.close()


async def run(job) -> dict:
    queue = asyncio.Queue()
    for i in range(len(job["requests"])):
        queue.put_nowait(i)
    results = [None] * len(job["requests"])
    pacer = None
    if job.get("rate"):
        start = time.monotonic()
        interval = 1.0 / job["rate"]

        async def pacer(index):
            delay = start + index * interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)

    t0 = time.monotonic()
    await asyncio.gather(*(_worker(job, queue, results, pacer) for _ in range(job.get("concurrency", 16))))
    return {"results": results, "seconds": time.monotonic() - t0}


def blast(job: dict, timeout: float = 120.0) -> dict:
    """Run a job in a separate process (the load generator never shares the bench's interpreter)."""
    import subprocess
    import tempfile

    # The results go through a file: read from the child's stdout, a large answer was now and
    # then cut or broken at a multiple of 64 KiB (JSONDecodeError here).
    with tempfile.NamedTemporaryFile(prefix="blast-", suffix=".json") as out:
        proc = subprocess.run([sys.executable, "-m", "bench.blast", out.name], input=json.dumps(job), capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"bench.blast failed: {proc.stderr.strip()[-2000:]}")
        with open(out.name) as f:
            return json.load(f)


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    results = asyncio.run(run(json.load(sys.stdin)))
    with open(sys.argv[1], "w") as f:
        json.dump(results, f)
