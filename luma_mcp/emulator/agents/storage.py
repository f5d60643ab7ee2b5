"""The emulator's stand-in for S3: outputs behind presigned GET URLs, uploads to presigned PUT URLs.

No API key here, as on S3: the signature in the URL is the permission, and it runs out with the URL.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from luma_mcp.emulator.agents.files import UPLOADS_PATH
from luma_mcp.emulator.agents.presign import s3_error
from luma_mcp.emulator.agents.state import AgentsState
from luma_mcp.emulator.agents.store import OUTPUTS_PATH
from luma_mcp.emulator.assets import asset_response, sample_bytes
from luma_mcp.emulator.config import EmulatorConfig


class StorageRoutes:
    def __init__(self, config: EmulatorConfig, state: AgentsState) -> None:
        self._config = config
        self._state = state

    def routes(self) -> list[BaseRoute]:
        return [
            Route(OUTPUTS_PATH + "/{generation_id}/{name}", self.output, methods=["GET"]),
            Route(UPLOADS_PATH + "/{file_id}", self.upload, methods=["PUT"]),
        ]

    async def output(self, request: Request) -> Response:
        refusal = _second_credential(request) or self._state.signer.refusal(request.url.path, request.query_params)
        if refusal is not None:
            return refusal
        generation = self._state.generations.get(request.path_params["generation_id"])
        index = request.path_params["name"].partition(".")[0]
        if generation is None or generation.state != "completed" or not index.isdigit():
            return s3_error(404, "NoSuchKey")
        if int(index) >= len(generation.outputs) or generation.output_path(int(index)) != request.url.path:
            return s3_error(404, "NoSuchKey")
        output = generation.outputs[int(index)]
        return asset_response(sample_bytes(output.sample), output.media_type, self._config.asset_bytes_per_second)

    async def upload(self, request: Request) -> Response:
        """The bytes of a presigned upload; the Content-Type was signed, so another one does not match."""
        binds = request.headers.get("content-type", "")
        refusal = _second_credential(request) or self._state.signer.refusal(
            request.url.path, request.query_params, binds=binds
        )
        if refusal is not None:
            return refusal
        stored = self._state.files.get(request.path_params["file_id"])
        if stored is None or stored.ingesting or stored.state != "pending":
            # inferred: S3 itself would take the bytes; the upload is closed once its file is completed or deleted
            return s3_error(403, "AccessDenied", "The upload for this file is closed")
        stored.content = await request.body()
        return Response(status_code=200, headers={"ETag": f'"{stored.id}"'})


def _second_credential(request: Request) -> Response | None:
    """S3 refuses a presigned request that also carries an Authorization header (a Luma key sent along, say)."""
    if "authorization" in request.headers:
        return s3_error(
            400,
            "InvalidArgument",
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string "
            "parameter or the Authorization header should be specified",
        )
    return None
