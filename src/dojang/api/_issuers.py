"""``/.well-known/jwt-vc-issuer``: SD-JWT VC issuer metadata (draft-ietf-oauth-sd-jwt-vc-12 §5).

For an issuer id ``https://host/path`` the metadata is at ``https://host/.well-known/jwt-vc-issuer/path``:
``{"issuer": <issuer id>, "jwks": {"keys": [JWK + x5c, ...]}}``, one JWK per unrevoked
document-signer certificate the operator gave the agency (the same keys its credentials' ``x5c``
carry). The agencies are read from the data directory's operator registry on each request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request

from dojang.adapters.trust_list_files import REGISTRY_FILE, read_registry
from dojang.core.crypto import Certificate, encode_x5c
from dojang.errors import NotFoundError
from dojang.roles.operator import AgencyRecord

__all__ = ["IssuerDirectory", "issuers_router"]

WELL_KNOWN = "/.well-known/jwt-vc-issuer"


@dataclass(frozen=True)
class IssuerDirectory:
    """The agencies of one data directory, as issuer metadata."""

    data_dir: Path

    def _agencies(self) -> tuple[AgencyRecord, ...]:
        if not (self.data_dir / REGISTRY_FILE).is_file():
            return ()
        return read_registry(self.data_dir).agencies

    def find(self, host: str, path: str) -> dict[str, Any]:
        """The metadata of the agency whose id is ``https://host/path`` (host ignored when only one
        agency has that path)."""
        agencies = self._agencies()
        path = "/" + path.strip("/") if path.strip("/") else ""
        by_path = [a for a in agencies if urlsplit(a.issuer_id).path.rstrip("/") == path]
        exact = [a for a in by_path if urlsplit(a.issuer_id).netloc == host]
        chosen = exact or by_path
        if len(chosen) != 1:
            raise NotFoundError(f"no single agency with issuer metadata at {WELL_KNOWN}{path} on {host}")
        return self.metadata(chosen[0])

    def metadata(self, agency: AgencyRecord) -> dict[str, Any]:
        revoked = {r.fingerprint for r in read_registry(self.data_dir).revoked}
        now = time.time()
        keys = [
            _jwk(cert)
            for cert in agency.certificates
            if cert.fingerprint not in revoked and cert.not_after.timestamp() > now
        ]
        return {"issuer": agency.issuer_id, "jwks": {"keys": keys}}


def _jwk(cert: Certificate) -> dict[str, Any]:
    public = cert.public_key
    return {**public.jwk, "kid": public.kid, "alg": "ES256", "use": "sig", "x5c": encode_x5c([cert])}


def issuers_router(directory: IssuerDirectory) -> APIRouter:
    router = APIRouter(tags=["issuer metadata"])

    @router.get(WELL_KNOWN, summary="SD-JWT VC issuer metadata (issuer id without a path)")
    def root_metadata(request: Request) -> dict[str, Any]:
        """The metadata of the agency whose issuer id is this host with no path."""
        return directory.find(request.url.netloc, "")

    @router.get(WELL_KNOWN + "/{path:path}", summary="SD-JWT VC issuer metadata of the issuer id with PATH")
    def path_metadata(path: str, request: Request) -> dict[str, Any]:
        """The metadata of the agency whose issuer id is this host and PATH: its JWKs, each with x5c."""
        return directory.find(request.url.netloc, path)

    return router
