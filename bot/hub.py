"""The Hugging Face Hub's Daily Papers API: fetch one day's list, whole or not at all.

`GET {base}/api/daily_papers?date=YYYY-MM-DD&limit=100&p=N` answers a JSON array,
asked page by page until one comes back shorter than `limit`. Every fault is raised as
a `HubError` whose message is short enough for `/setup`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import json
from types import TracebackType
from typing import Any, Self

import aiohttp
from yarl import URL

from bot.digest import MAX_FILE_BYTES

DEFAULT_RETRY_AFTER = 60.0
MAX_RETRY_AFTER = 24 * 3600.0
MAX_PAGES = 50  # 5,000 papers: far more than any real day; a server that never ends stops
USER_AGENT = "paperboy (Discord bot; Daily Papers digest)"


class HubError(Exception):
    """The Hub could not give a day now; `str()` says why in a few words, `day` which."""

    day: dt.date | None = None


class HubUnavailable(HubError):
    """A timeout, a refused connection, a 5xx or other error status, or a body that is not
    a JSON list of papers."""


class HubRateLimited(HubError):
    """429: ask again in `retry_after_seconds` at the earliest."""

    def __init__(self, retry_after_seconds: float) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(f"the Hub asks to wait {retry_after_seconds:.0f} s (429)")


class HubClient:
    """Asks the Hub for days, at most `max_in_flight` requests at once across all calls.

    Give it a `session` the caller owns, or let it open one, closed by `close()` or by
    leaving `async with`.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        max_in_flight: int = 2,
        page_size: int = 100,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        if not 1 <= page_size <= 100:
            raise ValueError("page_size must be between 1 and 100")
        self.endpoint = URL(base_url.rstrip("/") + "/api/daily_papers")
        self.timeout = timeout
        self.page_size = page_size
        self.max_in_flight = max_in_flight
        self._semaphore = asyncio.Semaphore(max_in_flight)
        self._session = session
        self._owns_session = session is None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session this client opened (a caller's session stays open)."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    def day_url(self, day: dt.date, page: int = 0) -> str:
        """The URL asked for one page of `day`."""
        query = {"date": day.isoformat(), "limit": str(self.page_size), "p": str(page)}
        return str(self.endpoint.with_query(query))

    async def fetch_day(self, day: dt.date) -> list[dict[str, Any]]:
        """Every item of `day`'s list, pages concatenated; [] when the day has no list.

        Raises `HubRateLimited` or `HubUnavailable`; never returns part of a day.
        """
        try:
            return await self._fetch_pages(day)
        except HubError as error:
            error.day = day
            raise

    async def _fetch_pages(self, day: dt.date) -> list[dict[str, Any]]:
        items: list[Any] = []
        previous: list[Any] | None = None
        for page in range(MAX_PAGES):
            batch = await self._get_page(day, page)
            if batch and batch == previous:
                raise HubUnavailable(f"the Hub repeated page {page - 1} as page {page}")
            items.extend(batch)
            if len(batch) < self.page_size:
                return items
            previous = batch
        raise HubUnavailable(f"the day goes on past {MAX_PAGES} pages; gave up")

    def _open_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            if not self._owns_session:
                raise RuntimeError("the caller's session is closed")
            self._session = aiohttp.ClientSession(headers={"User-Agent": USER_AGENT})
        return self._session

    async def _get_page(self, day: dt.date, page: int) -> list[Any]:
        url = self.day_url(day, page)
        async with self._semaphore:
            session = self._open_session()
            try:
                async with session.get(
                    url,
                    timeout=aiohttp.ClientTimeout(total=self.timeout),
                    headers={"Accept": "application/json"},
                    allow_redirects=True,
                ) as response:
                    _check_status(response)
                    body = await _read_capped(response)
                    kind = response.content_type
            except TimeoutError:
                raise HubUnavailable(f"the Hub did not answer within {self.timeout:g} s") from None
            except aiohttp.ClientError as error:
                raise HubUnavailable(f"cannot reach the Hub: {_describe(error)}") from None
        return _papers(body, kind)


def _check_status(response: aiohttp.ClientResponse) -> None:
    if response.status == 429:
        raise HubRateLimited(retry_after(response.headers))
    if response.status >= 400:
        reason = f" {response.reason}" if response.reason else ""
        raise HubUnavailable(f"the Hub answered {response.status}{reason}")


async def _read_capped(response: aiohttp.ClientResponse) -> bytes:
    if (response.content_length or 0) > MAX_FILE_BYTES:
        raise HubUnavailable(f"the Hub's answer is over {MAX_FILE_BYTES:,} bytes")
    body = bytearray()
    async for chunk in response.content.iter_chunked(1 << 16):
        body += chunk
        if len(body) > MAX_FILE_BYTES:  # a server that does not say how much it sends
            raise HubUnavailable(f"the Hub's answer is over {MAX_FILE_BYTES:,} bytes")
    return bytes(body)


def _papers(body: bytes, content_type: str) -> list[Any]:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError too
        raise HubUnavailable(
            f"the Hub answered {content_type or 'something'} that is not JSON"
        ) from None
    if not isinstance(document, list):
        kind = "an object" if isinstance(document, dict) else "JSON"
        raise HubUnavailable(f"the Hub answered {kind}, not a list of papers")
    return document


def retry_after(headers: Any) -> float:
    """Seconds to wait from a `Retry-After` of seconds or an HTTP date (measured from the
    response's own `Date`); DEFAULT_RETRY_AFTER when absent or unreadable."""
    value = (headers.get("Retry-After") or "").strip()
    if not value:
        return DEFAULT_RETRY_AFTER
    try:
        seconds = float(value)
    except ValueError:
        seconds = _seconds_until(value, headers.get("Date"))
    if seconds != seconds:  # nan
        return DEFAULT_RETRY_AFTER
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _seconds_until(when: str, sent: str | None) -> float:
    try:
        moment = email.utils.parsedate_to_datetime(when)
        reference = email.utils.parsedate_to_datetime(sent) if sent else None
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
    if reference is None:
        return DEFAULT_RETRY_AFTER
    if moment.tzinfo is None or reference.tzinfo is None:
        moment, reference = moment.replace(tzinfo=dt.UTC), reference.replace(tzinfo=dt.UTC)
    return (moment - reference).total_seconds()


def _describe(error: aiohttp.ClientError) -> str:
    if isinstance(error, aiohttp.ClientConnectorError):
        return f"{error.host}:{error.port}: {error.os_error.strerror or error.os_error}"
    return str(error) or type(error).__name__
