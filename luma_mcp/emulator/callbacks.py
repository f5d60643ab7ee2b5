"""Delivering generation updates to ``callback_url`` the way Luma documents it (luma-api.md §7)."""

from __future__ import annotations

from typing import Any

import anyio
import httpx

CALLBACK_TRIES = 3
CALLBACK_RETRY_DELAY = 0.1
CALLBACK_TIMEOUT = 5.0


class CallbackSender:
    """POSTs a generation's JSON to its callback URL; anything but 200 is retried, 3 tries in all, 100 ms apart."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def deliver(self, url: str, generation: dict[str, Any]) -> None:
        for attempt in range(CALLBACK_TRIES):
            if attempt:
                await anyio.sleep(CALLBACK_RETRY_DELAY)
            try:
                response = await self._http.post(url, json=generation, timeout=CALLBACK_TIMEOUT)
            except Exception:
                # Whatever goes wrong on the receiver's side (refused, timed out, bad URL) must not stop the emulator.
                continue
            if response.status_code == 200:
                return
