"""``python -m bench.sender_micro [--tree DIR] [-n N]``: the webhook sender alone, in this
process: N signed claims posted to the local receiver (``bench/receiver.py``) through
``jobs.sender.DeliverySender`` as the due loop feeds it (up to its capacity, then topped up as
results come back). Prints this process's CPU per delivery; no database is involved.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()


def run(n: int) -> dict:
    from bench.stack import webhook_receiver

    from paygate import config, deliveries
    from paygate.jobs.sender import DeliverySender

    settings = config.load({}, test_mode=True, allow_private_webhook_urls=True)
    names = {f.name for f in dataclasses.fields(deliveries.Claim)}
    body = json.dumps({"id": "evt_x", "event": "payment.success", "timestamp": 1, "data": {"payment": {"id": "pay_x", "amount": 50000}}}).encode()
    with webhook_receiver() as (url, arrivals):
        def claim(i):
            kw = dict(delivery_id=f"d{i}", event_id=f"evt_{i}", url=url, body=body, secret="whsec_" + "a" * 32, number=1)
            if "merchant_id" in names:
                kw["merchant_id"] = "m1"
            return deliveries.Claim(**kw)

        sender = DeliverySender(settings)
        done = sent = 0
        c0, w0 = time.process_time(), time.perf_counter()
        while done < n:
            room = min(sender.capacity(), n - sent)
            if room > 0:
                refused = sender.submit([claim(i) for i in range(sent, sent + room)])
                sent += room - len(refused)
            got = sender.take_results()
            bad = [r for _, r in got if r.error]
            if bad:
                raise RuntimeError(f"send failed: {bad[0].error}")
            done += len(got)
            time.sleep(0.005)  # the due loop's pass gap
        c1, w1 = time.process_time(), time.perf_counter()
        sender.close()
    return {"tree": str(Path.cwd()), "n": n, "sender_cpu_ms": (c1 - c0) * 1000 / n, "per_s": n / (w1 - w0)}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(prog="python -m bench.sender_micro", description=__doc__.splitlines()[0])
    p.add_argument("--tree", type=Path)
    p.add_argument("-n", type=int, default=5000)
    args = p.parse_args(argv)
    if args.tree and args.tree.resolve() != Path.cwd().resolve():
        rest = [a for i, a in enumerate(argv) if a != "--tree" and (i == 0 or argv[i - 1] != "--tree")]
        code = ("import runpy, sys; sys.argv = ['bench.sender_micro'] + sys.argv[1:]; "
                f"runpy.run_path({str(HERE)!r}, run_name='__main__')")
        return subprocess.call([str(args.tree.resolve() / ".venv/bin/python"), "-c", code, *rest], cwd=args.tree.resolve())
    print(json.dumps(run(args.n)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
