"""S3's check of a multipart upload's full-object checksum, which moto leaves out.

moto computes the checksum of the object a CompleteMultipartUpload assembles but never
compares it with the one the request states. S3 does: "If the checksum values don't match,
Amazon S3 rejects the request" (S3 user guide, "Checking object integrity in Amazon S3",
full object checksums), answering BadDigest, and the object is not created. Installed by
``verified_full_object_checksums()`` around moto (the CLI's tests).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any
from unittest import mock

from moto.s3.exceptions import S3ClientError
from moto.s3.models import FakeMultipart
from moto.s3.responses import S3Response

_stated = threading.local()  # the checksum headers of the request being answered


class BadDigest(S3ClientError):
    def __init__(self, algorithm: str) -> None:
        super().__init__(
            "BadDigest", f"The {algorithm} you specified did not match the calculated checksum."
        )


@contextlib.contextmanager
def verified_full_object_checksums() -> Iterator[None]:
    respond = S3Response._key_response_post
    complete = FakeMultipart.complete

    def key_response_post(response: S3Response, *args: Any, **kwargs: Any) -> Any:
        _stated.headers = {k.lower(): v for k, v in response.headers.items()}
        try:
            return respond(response, *args, **kwargs)
        finally:
            _stated.headers = {}

    def checked_complete(multipart: FakeMultipart, body: Any) -> Any:
        value, etag, details = complete(multipart, body)
        algorithm = str(multipart.metadata.get("x-amz-checksum-algorithm") or "").upper()
        stated = getattr(_stated, "headers", {}).get(f"x-amz-checksum-{algorithm.lower()}")
        if details and details[0] == "FULL_OBJECT" and stated and stated != details[1]:
            raise BadDigest(algorithm)
        return value, etag, details

    with (
        mock.patch.object(S3Response, "_key_response_post", key_response_post),
        mock.patch.object(FakeMultipart, "complete", checked_complete),
    ):
        yield
