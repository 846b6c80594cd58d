"""Drive SimCord's browser preview over its HTTP interface (protocol 3), as the page does.

Use with an `aiohttp.ClientSession` in the test's own event loop: the preview serves
from the Env's loop, so a blocking client there would deadlock it.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

import aiohttp


class PreviewClient:
    """One page of a preview: open it for a viewer, read its state, act on it."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        parts = urlsplit(url)
        self.base = f"{parts.scheme}://{parts.netloc}"
        self.capability = parts.fragment
        self.session = session
        self.context: str | None = None
        self.state: dict[str, Any] = {}
        self.sequence = 0

    def headers(self, context: bool = True) -> dict[str, str]:
        headers = {"X-Simcord-Capability": self.capability}
        if context and self.context:
            headers["X-Simcord-Context"] = self.context
        return headers

    async def index(self) -> tuple[int, str]:
        async with self.session.get(self.base + "/") as response:
            return response.status, await response.text()

    async def open_page(self, viewer_id: int) -> dict[str, Any]:
        async with self.session.post(
            self.base + "/api/pages",
            headers=self.headers(False),
            json={"viewer_id": str(viewer_id)},
        ) as response:
            assert response.status == 200, await response.text()
            self.state = await response.json()
        self.context = self.state["context"]["id"]
        self.sequence = 0
        return self.state

    async def state_status(self) -> int:
        """The HTTP status of reading this page's state (410 once its preview is gone)."""
        async with self.session.get(self.base + "/api/state", headers=self.headers()) as response:
            return response.status

    async def refresh_state(self) -> dict[str, Any]:
        async with self.session.get(self.base + "/api/state", headers=self.headers()) as response:
            assert response.status == 200, await response.text()
            self.state = await response.json()
        return self.state

    async def commands(self) -> dict[str, Any]:
        async with self.session.get(self.base + "/api/commands", headers=self.headers()) as r:
            assert r.status == 200, await r.text()
            catalog: dict[str, Any] = await r.json()
            return catalog

    async def command(self, invocation: str) -> dict[str, Any]:
        """The catalog entry of a slash command, as the page's picker offers it."""
        catalog = await self.commands()
        return next(e for e in catalog["entries"] if e["invocation"] == invocation)

    async def action(self, kind: str, **fields: Any) -> dict[str, Any]:
        self.sequence += 1
        body = {
            "protocol_version": 3,
            "sequence": self.sequence,
            "request_id": str(uuid.uuid4()),
            "generation": self.state["context"]["generation"],
            "bot_generation": self.state["botGeneration"],
            "published_revision": self.state["publishedRevision"],
            "kind": kind,
            **fields,
        }
        async with self.session.post(
            self.base + "/api/action", headers=self.headers(), json=body
        ) as response:
            assert response.status == 200, await response.text()
            receipt: dict[str, Any] = await response.json()
        if receipt.get("rejected"):
            self.sequence = receipt["expectedSequence"]  # the last one taken: rejections take none
        if kind != "close":  # a closed session has no state (nor server) left
            await self.refresh_state()
        return receipt

    async def run_command(self, invocation: str, **options: str) -> dict[str, Any]:
        """Run a slash command from the composer; returns the receipt."""
        entry = await self.command(invocation)
        return await self.action(
            "run_command",
            command_id=entry["commandId"],
            path=entry["path"],
            schema_fingerprint=entry["schemaFingerprint"],
            options=options,
        )

    def messages(self) -> list[dict[str, Any]]:
        """The page's messages, oldest first."""
        return [self.state["messages"][key] for key in self.state["timeline"]]

    def message(self, message_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.state["messages"][message_id]
        return found


def text_of(message: dict[str, Any]) -> str:
    """A message's content and embed text, as one string to search."""
    parts = [message.get("content") or ""]
    for embed in message.get("embeds", []):
        parts += [embed.get("title") or "", embed.get("description") or ""]
        for field in embed.get("fields", []):
            parts += [field.get("name") or "", field.get("value") or ""]
        parts.append((embed.get("footer") or {}).get("text") or "")
    return "\n".join(parts)


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A message's buttons by label."""
    return {
        component["label"]: component
        for row in message.get("components", [])
        for component in row.get("components", [])
        if component.get("label")
    }
