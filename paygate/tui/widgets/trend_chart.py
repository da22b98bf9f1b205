"""Volume (bars) and success rate (line) per bucket, as two plotext charts with real axes.

Money is plotted in major units only for drawing (the axis needs numbers); every figure shown as
text elsewhere comes from the integer minor units. The money axis has its own ticks: evenly
spaced round numbers written in the currency (``₹25,000``), never plotext's raw floats.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual_plotext import PlotextPlot

from ...money import CURRENCIES
from ..format import money, rate

SPANS = {"hour": "last hour, per minute", "day": "last 24 h, per hour", "week": "last 7 days, per 6 h"}


def _labels(buckets: list[dict], window: str) -> list[str]:
    if window == "hour":
        return [b["start"][11:16] for b in buckets]
    if window == "day":
        return [b["start"][11:13] + "h" for b in buckets]
    return [b["start"][5:10] + " " + b["start"][11:13] + "h" for b in buckets]


def money_ticks(peak_minor: int, currency: str, count: int = 4) -> tuple[list[int], list[str]]:
    """Evenly spaced y ticks from 0 past ``peak_minor``, in major units, labelled in the currency."""
    digits, symbol = CURRENCIES.get(currency, (2, currency + " "))
    peak = -(-peak_minor // 10**digits)  # major units, rounded up
    rounds = (s * 10**k // 10 for k in range(1, 20) for s in (10, 20, 25, 50))  # 10, 20, 25, 50, 100, 200, 250, …
    step = next(s for s in rounds if s and s * count >= max(peak, count))
    values = [step * i for i in range(count + 1)]
    return values, [f"{symbol}{v:,}" for v in values]


class TrendChart(Vertical):
    def compose(self) -> ComposeResult:
        yield PlotextPlot(id="volume-plot")
        yield PlotextPlot(id="rate-plot")

    def on_mount(self) -> None:
        for plot in self.query(PlotextPlot):
            plot.plt.theme("pro")

    def show(self, analytics: dict) -> None:
        buckets = analytics["buckets"]
        currency, window = analytics["currency"], analytics["window"]
        xs = list(range(len(buckets)))
        labels = _labels(buckets, window)
        step = max(1, len(buckets) // 6)
        ticks = xs[::step]

        volume = self.query_one("#volume-plot", PlotextPlot)
        plt = volume.plt
        plt.clear_data()
        plt.clear_figure()
        plt.theme("pro")
        peak = max((b["volume"] for b in buckets), default=0)
        plt.title(f"Volume ({SPANS[window]}) · peak {money(peak, currency)}")
        unit = 10 ** CURRENCIES.get(currency, (2, ""))[0]
        plt.bar(xs, [b["volume"] // unit for b in buckets], color="green", width=0.8)
        yvalues, ylabels = money_ticks(peak, currency)
        plt.ylim(0, yvalues[-1])
        plt.yticks(yvalues, ylabels)
        plt.xticks(ticks, [labels[i] for i in ticks])
        volume.refresh()

        success = self.query_one("#rate-plot", PlotextPlot)
        plt = success.plt
        plt.clear_data()
        plt.clear_figure()
        plt.theme("pro")
        known = [(i, b["success_rate_bps"]) for i, b in enumerate(buckets) if b["success_rate_bps"] is not None]
        low = rate(min(v for _, v in known)) if known else "-"
        plt.title(f"Success rate % ({SPANS[window]}) · low {low}")
        if known:
            plt.plot([i for i, _ in known], [v / 100 for _, v in known], color="cyan", marker="braille")
        plt.ylim(0, 100)
        plt.xlim(0, max(1, len(buckets) - 1))
        plt.xticks(ticks, [labels[i] for i in ticks])
        success.refresh()
