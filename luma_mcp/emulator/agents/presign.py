"""Presigned URLs as S3 hands them out: anyone holding one may use it, until it expires (then 403, in S3's XML)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from urllib.parse import urlencode

from starlette.responses import Response

_S3_MESSAGES = {
    "AccessDenied": "Request has expired",
    "NoSuchKey": "The specified key does not exist.",
    "SignatureDoesNotMatch": (
        "The request signature we calculated does not match the signature you provided. Check your key and signing "
        "method."
    ),
}


class UrlSigner:
    """Signs a path for a limited time; what is signed (a method, a content type) must be presented unchanged."""

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds
        self._secret = secrets.token_bytes(32)

    def sign(self, origin: str, path: str, *, binds: str = "") -> tuple[str, float]:
        """A URL for ``path`` that works for ``ttl_seconds`` from now, and when it stops working (Unix time)."""
        expires = round(time.time() + self.ttl_seconds, 3)
        query = urlencode({"Expires": f"{expires:.3f}", "Signature": self._signature(path, f"{expires:.3f}", binds)})
        return f"{origin}{path}?{query}", expires

    def refusal(self, path: str, query: Mapping[str, str], *, binds: str = "") -> Response | None:
        """S3's 403 for a URL that was not signed here as presented, or has expired; ``None`` when it is good."""
        expires, signature = query.get("Expires", ""), query.get("Signature", "")
        if not hmac.compare_digest(signature.encode(), self._signature(path, expires, binds).encode()):
            return s3_error(403, "SignatureDoesNotMatch")
        if time.time() >= float(expires):
            return s3_error(403, "AccessDenied")
        return None

    def _signature(self, path: str, expires: str, binds: str) -> str:
        message = "\n".join((path, expires, binds)).encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()


def s3_error(status: int, code: str, message: str | None = None) -> Response:
    """An error as S3 words it: XML, with the code a client can branch on."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message or _S3_MESSAGES[code]}</Message>"
        f"<RequestId>{secrets.token_hex(8).upper()}</RequestId></Error>"
    )
    return Response(body, status_code=status, media_type="application/xml")
