"""Bearer-token authentication for the agency and operator APIs: 401 without a known token, 403 off scope.

A request without ``Authorization: Bearer <token>`` or with a token the data directory does not know
is answered 401 (problem+json, ``WWW-Authenticate: Bearer``). A known token of the wrong role — an
agency token on an operator route or the reverse — is 403 (``ForbiddenError``); what an agency may do
within its own routes (its own credentials, the kinds it is accredited for) is checked by the routes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from dojang.adapters.api_tokens import Principal, TokenFile
from dojang.errors import ForbiddenError

__all__ = ["AUTH_RESPONSES", "Authenticator"]

_bearer = HTTPBearer(
    auto_error=False,
    description="An API token made by `dojang operator token` (operator) or "
    "`dojang operator agency token AGENCY` (one agency)",
)

#: The error responses every authenticated route documents.
AUTH_RESPONSES: dict[int | str, dict[str, str]] = {
    401: {"description": "No bearer token, or one this platform does not know (problem+json)"},
    403: {"description": "The token's holder may not do this (problem+json)"},
}


@dataclass(frozen=True)
class Authenticator:
    """Resolves bearer tokens against a data directory's token hashes."""

    tokens: TokenFile

    def principal(self, credentials: HTTPAuthorizationCredentials | None) -> Principal:
        found = None if credentials is None else self.tokens.lookup(credentials.credentials)
        if found is None:
            raise HTTPException(
                401, "a valid bearer token is needed here", headers={"WWW-Authenticate": "Bearer"}
            )
        return found

    def agency(self) -> Callable[..., str]:
        """A dependency giving the calling agency's issuer id (403 for the operator's token)."""

        def dependency(
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        ) -> str:
            principal = self.principal(credentials)
            if principal.role != "agency" or principal.agency is None:
                raise ForbiddenError("this route is for agencies: use the agency's own token")
            return principal.agency

        return dependency

    def operator(self) -> Callable[..., Principal]:
        """A dependency that lets only the operator's token through (403 for an agency's)."""

        def dependency(
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        ) -> Principal:
            principal = self.principal(credentials)
            if principal.role != "operator":
                raise ForbiddenError("this route is for the platform operator")
            return principal

        return dependency
