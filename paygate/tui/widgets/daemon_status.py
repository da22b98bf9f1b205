"""The daemon's health and job queue, so an operator sees a stuck worker next to the numbers.

The jobs endpoint's ``failed`` adds up payments, refunds and webhook deliveries that ended
failed: a declined card and a receiver that never answered are different troubles, so the panel
names them apart, from the payments and deliveries lists' own counts (``status=failed``).
"""

from __future__ import annotations

from textual.widgets import Static

GOOD = {"healthy", "connected", "running", "not_configured"}


def _mark(value) -> str:
    value = str(value)
    return f"[green]{value}[/]" if value in GOOD else f"[red]{value}[/]"


class DaemonStatus(Static):
    def on_mount(self) -> None:
        self.parts: dict[str, dict] = {}
        self.update("Daemon: …")

    def show(self, part: str, data: dict) -> None:
        self.parts[part] = data
        h, j = self.parts.get("health", {}), self.parts.get("jobs", {})
        lines = ["[b]Daemon[/]"]
        if h:
            lines.append(f"status {_mark(h.get('status'))} · database {_mark(h.get('database'))}")
            lines.append(f"redis {_mark(h.get('redis'))} · worker {_mark(h.get('worker'))}")
        if j:
            lines.append("")
            lines.append("[b]Jobs[/]")
            lines.append(f"pending {j.get('pending', 0)} · processing {j.get('processing', 0)}")
            lines.append(f"completed {j.get('completed', 0)}")
            lines.append(self.failures(j.get("failed", 0)))
        self.update("\n".join(lines))

    def failures(self, failed: int) -> str:
        """``declined 2 · failed webhooks 1`` (and failed refunds, the rest of the jobs' total)."""
        declined, webhooks = self.parts.get("declined"), self.parts.get("failed_webhooks")
        if declined is None or webhooks is None:
            return f"ended failed {failed}"  # until the split arrives: never a bare, ambiguous "failed"
        line = f"declined {declined['total']} · failed webhooks {webhooks['total']}"
        refunds = failed - declined["total"] - webhooks["total"]
        return line + (f" · failed refunds {refunds}" if refunds > 0 else "")
