"""paygate's benchmarks: ``python -m bench [--quick] [--json FILE]`` (see bench/README.md).

Not tests: no thresholds. Every figure is measured against a Sanic hello-world taken in the same
run on the same machine, with the same load generator (wrk, or bench.blast), each in its own process.
"""
