"""Bounded HTTP reads for the adapters that fetch what others publish (tiles, status lists)."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from dojang.errors import TooLargeError, UnavailableError

__all__ = ["get_bounded"]


def get_bounded(
    client: httpx.Client,
    url: str,
    *,
    limit: int,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> bytes | None:
    """The body of a 200 answer, read as it streams and refused past ``limit`` bytes; None for 404.

    Any other status, or a network failure, is UnavailableError; a body over ``limit``, TooLargeError.
    """
    try:
        with client.stream("GET", url, params=params, headers=headers) as reply:
            if reply.status_code == 404:
                return None
            if reply.status_code != 200:
                raise UnavailableError(f"{url} answered HTTP {reply.status_code}")
            body = bytearray()
            for chunk in reply.iter_bytes():
                body += chunk
                if len(body) > limit:
                    raise TooLargeError(f"{url} sent over {limit} bytes")
    except httpx.HTTPError as exc:
        raise UnavailableError(f"cannot fetch {url}: {exc}") from None
    return bytes(body)
