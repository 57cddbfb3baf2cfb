"""Serve the original Python DeepRecall's OpenAI-compatible app over a stub engine (benchmark only).

Usage: python server.py <instant|slow|secured> <port>

`deeprecall.adapters.openai_server.create_app(engine, api_keys=None, requests_per_minute=None)`
only touches `engine.query(text)` (run via `asyncio.to_thread`) and `engine.config` for the
routes benchmarked here, so the stub provides exactly those. Served by uvicorn the way the
package's `deeprecall serve` does (`uvicorn.run(app, host=..., port=...)`), with the per-request
access log switched off to match our server's silent default logger.
"""

import os
import sys
import time
from types import SimpleNamespace

import uvicorn
from deeprecall.adapters.openai_server import create_app
from deeprecall.core.types import DeepRecallResult, Source, UsageInfo

# Same answer text as bench/src/engine-doubles.ts.
ANSWER = (
    "The key themes are retrieval quality, latency budgets and cost control. Sources agree that "
    "recursive search beats a single lookup when questions need several hops."
)
API_KEY = "sk-bench-0123456789abcdef"
HUGE_RATE_LIMIT = 1_000_000_000


class StubEngine:
    def __init__(self, delay_seconds: float) -> None:
        self.delay_seconds = delay_seconds
        self.config = SimpleNamespace(backend_kwargs={"model_name": "bench-double"}, cache=None)

    def query(self, query: str) -> DeepRecallResult:
        if self.delay_seconds > 0:
            time.sleep(self.delay_seconds)
        return DeepRecallResult(
            answer=ANSWER,
            sources=[
                Source(content="Recursive retrieval improves multi-hop answers.", score=0.91, id="doc-1"),
                Source(content="Latency budgets keep interactive use responsive.", score=0.84, id="doc-2"),
            ],
            usage=UsageInfo(total_input_tokens=100, total_output_tokens=50, total_calls=1),
            query=query,
            confidence=0.88,
        )


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "instant"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8000
    delay = float(os.environ.get("BENCH_SLOW_MS", "2000")) / 1000 if mode == "slow" else 0.0
    if mode == "secured":
        app = create_app(StubEngine(0.0), api_keys=[API_KEY], requests_per_minute=HUGE_RATE_LIMIT)
    else:
        app = create_app(StubEngine(delay))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, access_log=False, log_level="warning")
    server = uvicorn.Server(config)
    print(f"READY {port}", flush=True)  # uvicorn binds in run(); the parent polls the port too
    server.run()


if __name__ == "__main__":
    main()
