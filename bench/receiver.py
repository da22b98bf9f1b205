"""A local webhook receiver: answers 200 at once and records when each delivery arrived.

``python -m bench.receiver PORT OUTFILE``: appends ``unix_time event_type object_id`` lines to
OUTFILE (flushed every 100 ms), so the bench reads arrivals without sharing a process with it.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"


class Receiver:
    def __init__(self, out):
        self.out = out
        self.lines: list[str] = []

    def record(self, body: bytes) -> None:
        now = time.time()
        try:
            event = json.loads(body)
            data = event.get("data") or {}
            obj = data.get("payment") or data.get("refund") or {}
            self.lines.append(f"{now:.6f} {event.get('event')} {obj.get('id')}\n")
        except (ValueError, AttributeError):
            self.lines.append(f"{now:.6f} unparsable -\n")

    async def handle(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length, close = 0, False
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    name = name.strip().lower()
                    if name == "content-length":
                        length = int(value.strip())
                    elif name == "connection" and value.strip().lower() == "close":
                        close = True
                body = await reader.readexactly(length) if length else b""
                self.record(body)
                writer.write(OK)
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def flush_forever(self):
        while True:
            await asyncio.sleep(0.1)
            if self.lines:
                lines, self.lines = self.lines, []
                self.out.write("".join(lines))
                self.out.flush()


async def main(port: int, path: str):
    with open(path, "a") as out:
        receiver = Receiver(out)
        server = await asyncio.start_server(receiver.handle, "127.0.0.1", port, backlog=1024)
        async with server:
            await asyncio.gather(server.serve_forever(), receiver.flush_forever())


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
