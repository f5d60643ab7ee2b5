"""Every sentence luma-mcp shows as an error is written here: to the model (tool errors), to an MCP client
(resource, subscription and HTTP refusals) and to the operator (configuration).

The rest of the package raises what these functions return, passing the facts (ids, limits, where it happened) and
never composing text itself. A message says what happened and what to do next, naming the tool or setting that
helps; none ever contains the API key. Most return one of our typed errors; a few return the text for an error of
the MCP SDK (`ToolError`, `ResourceError`, `MCPError`), and the argument checks a `ValueError`, which pydantic
reports as that field's problem.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from . import (
    APIConnectionError,
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    CreateOutcomeUnknownError,
    GenerationFailedError,
    InvalidRequestError,
    LumaError,
    LumaMCPError,
    NotFoundError,
    RateLimitError,
    ServerError,
)

KEYS_PAGE = "https://lumalabs.ai/dream-machine/api/keys"
AGENTS_KEYS_PAGE = "https://platform.lumalabs.ai"
IMAGE_URL_EXAMPLE = "https://example.com/frame.jpg"

# Configuration: read by whoever starts the server.


def no_api_key() -> ConfigurationError:
    return ConfigurationError(
        "No Luma API key is configured. Set the LUMA_API_KEY environment variable in the MCP client's server "
        f"configuration (create a key at {KEYS_PAGE}) and restart the server."
    )


def setting_not_a_url(name: str, value: str) -> ConfigurationError:
    return ConfigurationError(f"{name} must be an http(s) URL, not {value!r}")


def setting_not_media_host(name: str, value: str) -> ConfigurationError:
    return ConfigurationError(
        f"{name} must list origins separated by commas, each http(s)://host or http(s)://host:port (a host may start "
        f"with *. for all its subdomains), such as https://media.example.com; not {value!r}"
    )


def setting_not_seconds(name: str, raw: str) -> ConfigurationError:
    return ConfigurationError(f"{name} must be a number of seconds, not {raw!r}")


def setting_not_between(name: str, raw: str, *, least: float, most: float) -> ConfigurationError:
    return ConfigurationError(f"{name} must be between {least:g} and {most:g} seconds, not {raw!r}")


def setting_not_positive_up_to(name: str, raw: str, *, most: float) -> ConfigurationError:
    return ConfigurationError(f"{name} must be more than 0 and at most {most:g} seconds, not {raw!r}")


def setting_not_one_of(name: str, raw: str, allowed: Sequence[str]) -> ConfigurationError:
    return ConfigurationError(f"{name} must be one of {', '.join(allowed)}, not {raw!r}")


def setting_not_whole_number(name: str, raw: str) -> ConfigurationError:
    return ConfigurationError(f"{name} must be a whole number, not {raw!r}")


def setting_not_usd(name: str, raw: str) -> ConfigurationError:
    return ConfigurationError(f"{name} must be an amount in US dollars, 0 or more (such as 5 or 2.50), not {raw!r}")


def setting_below_minimum(name: str, raw: str, minimum: int) -> ConfigurationError:
    return ConfigurationError(f"{name} must be at least {minimum}, not {raw!r}")


def idle_timeout_within_max_wait(idle_timeout: float, max_wait: float) -> ConfigurationError:
    return ConfigurationError(
        f"LUMA_MCP_HTTP_SESSION_IDLE_TIMEOUT ({idle_timeout:g} s) must be longer than "
        f"LUMA_MCP_MAX_WAIT ({max_wait:g} s), the longest a tool call waits"
    )


def exposed_without_token(host: str) -> ConfigurationError:
    return ConfigurationError(
        f"--host {host} would let other machines spend your Luma credits. Set LUMA_MCP_AUTH_TOKEN to a long "
        "random secret (clients then send 'Authorization: Bearer <token>'), or bind to 127.0.0.1."
    )


def every_address_without_names(host: str) -> ConfigurationError:
    return ConfigurationError(
        f"--host {host} listens on every address, but only loopback names would be accepted. Set "
        "LUMA_MCP_ALLOWED_HOSTS to the host names clients connect with, e.g. 'mcp.example.com,10.0.0.5'."
    )


def outside_mcp_request() -> ConfigurationError:
    return ConfigurationError("luma-mcp serves tools and resources only within an MCP request")


def no_bearer_token() -> str:
    """The `error_description` of an HTTP request refused for want of LUMA_MCP_AUTH_TOKEN's token."""
    return "Send Authorization: Bearer <token>."


# Refused before anything was sent to Luma.

LoopCase = Literal["end_frame", "start_and_end", "video_to_image", "video_backward", "image_to_video", "video_to_video"]
_LOOP_CASES: dict[LoopCase, str] = {
    "end_frame": "an end frame",
    "start_and_end": "start and end keyframes",
    "video_to_image": "extending a video to an end image",
    "video_backward": "extending a video backward",
    "image_to_video": "interpolating from an image to a video",
    "video_to_video": "interpolating between two videos",
}


def loop_refused(case: LoopCase) -> InvalidRequestError:
    return InvalidRequestError(
        f"loop=true is not supported for {_LOOP_CASES[case]} (Luma refuses it). Set loop=false, or loop a video "
        "that only has a start frame or none."
    )


def backward_interpolation() -> InvalidRequestError:
    return InvalidRequestError(
        "to_generation_id interpolates forward from generation_id to to_generation_id; "
        "it cannot be combined with direction='backward'. Leave direction as 'forward'."
    )


def two_far_ends() -> InvalidRequestError:
    return InvalidRequestError(
        "Give either image_url or to_generation_id, not both: the far end of an extension is one image "
        "or one generation."
    )


def option_not_on_model(
    model: str, argument: str, value: object, allowed: Sequence[str], elsewhere: str
) -> InvalidRequestError:
    """An option value one model lacks; `elsewhere` says which model has it, or what to do instead."""
    return InvalidRequestError(
        f"{argument}={value!r} is not available on {model}, which takes {_either(allowed)}; {elsewhere}. Nothing "
        "was sent to Luma."
    )


def prompt_length_on_model(model: str, length: int, least: int, most: int) -> InvalidRequestError:
    return InvalidRequestError(
        f"prompt has {length} characters, and {model} (the Dream Machine API) takes {least} to {most}. Shorten or "
        "lengthen it. Nothing was sent to Luma."
    )


def argument_not_on_model(model: str, argument: str, instead: str) -> InvalidRequestError:
    return InvalidRequestError(f"{argument} is not offered on {model}; {instead}. Nothing was sent to Luma.")


def options_conflict(model: str, first: str, second: str, instead: str) -> InvalidRequestError:
    """Two options Luma refuses together on `model`."""
    return InvalidRequestError(
        f"{first} cannot be combined with {second} on {model} (Luma refuses it): {instead}. Nothing was sent to Luma."
    )


def _either(values: Sequence[str]) -> str:
    quoted = [repr(value) for value in values]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def unknown_arguments(tool: str, nearest: Mapping[str, str | None], known: Collection[str]) -> InvalidRequestError:
    """`nearest`: each unknown name, with the known one it was likely meant to be."""
    problems = [
        f"{_shorten(name)} is not an argument of {tool}" + (f" (did you mean {meant!r}?)" if meant else "")
        for name, meant in nearest.items()
    ]
    return InvalidRequestError(
        f"Unknown arguments for {tool}; nothing was sent to Luma. "
        + "; ".join(problems)
        + f". Its arguments are: {', '.join(known)}."
    )


def describe_invalid_arguments(tool: str, error: ValidationError) -> str:
    """One line per bad field, naming it and what is allowed; pydantic's own text adds types and doc links."""
    problems = []
    for detail in error.errors(include_url=False):
        field = ".".join(str(part) for part in detail["loc"]) or "arguments"
        got = "" if detail["type"] == "missing" else f" (got {_shorten(detail.get('input'))})"
        problems.append(f"{field}: {detail['msg']}{got}")
    return f"Invalid arguments for {tool}; nothing was sent to Luma. " + "; ".join(problems) + "."


def url_not_http() -> ValueError:
    """For a pydantic validator, which reports it as the field's problem."""
    return ValueError(f"must be a public http(s) URL without spaces, such as {IMAGE_URL_EXAMPLE}")


def url_without_host() -> ValueError:
    return ValueError(f"must be a public http(s) URL, such as {IMAGE_URL_EXAMPLE}")


def media_not_printable() -> ValueError:
    return ValueError(
        f"must be an https URL such as {IMAGE_URL_EXAMPLE}, a generation id or a file path, without control characters"
    )


def _header_name(header: str) -> str:
    return "-".join(part.capitalize() for part in header.split("-"))


def empty_key_header(header: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"The {_header_name(header)} header is empty. Send your Luma API key in it (from {KEYS_PAGE}, or "
        f"{AGENTS_KEYS_PAGE} for the Agents API), or leave the header out to use the server's own key."
    )


def unusable_key_header(header: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"The {_header_name(header)} header holds characters a Luma API key never has (only printable ASCII is "
        f"allowed). Copy the key again from {KEYS_PAGE} (or {AGENTS_KEYS_PAGE} for the Agents API)."
    )


def key_to_unlock(api: str) -> str:
    """Where the key for `api` comes from and where it goes, for a listing of what needs it (not an error)."""
    if api == "agents":
        return f"an Agents API key (luma-api-...) from {AGENTS_KEYS_PAGE}, in LUMA_AGENTS_API_KEY or LUMA_API_KEY"
    return f"a Dream Machine API key from {KEYS_PAGE}, in LUMA_API_KEY"


def no_key_for(api: str, *, keys_for: Collection[str] = ()) -> ConfigurationError:
    """A model or tool of an API the server (or the request) has no key for; `keys_for` the APIs it has keys for."""
    if api == "dream-machine" and "agents" in keys_for:
        return ConfigurationError(
            "This needs a Luma Dream Machine API key, and the key configured (or sent) is an Agents API key "
            f"(luma-api-...), which the Dream Machine API refuses. Make one at {KEYS_PAGE} and set it as "
            "LUMA_API_KEY (over HTTP: the X-Luma-Api-Key header)."
        )
    if api == "agents":
        return ConfigurationError(
            "No Luma Agents API key is configured, and this needs one (Ray 3.2 video, Uni-1 images). Set "
            "LUMA_AGENTS_API_KEY (or LUMA_API_KEY) to a key starting with luma-api-, made at "
            f"{AGENTS_KEYS_PAGE}, and restart the server; over HTTP, send it in the X-Luma-Api-Key header."
        )
    return no_api_key()


def no_video_yet(generation_id: str, state: str | None) -> InvalidRequestError:
    return InvalidRequestError(
        f"Generation {generation_id} is {state} and has no video or image yet. Call get_generation with "
        "wait=true until it is completed, then download it."
    )


def directory_with_control_characters(directory: str) -> InvalidRequestError:
    return InvalidRequestError(f"directory must not contain control characters; got {directory!r}.")


def directory_not_inside(directory: str | None, root: Path) -> InvalidRequestError:
    return InvalidRequestError(
        f"directory must be a relative path inside the output directory {root}, without '..'; "
        f"got {directory!r}. Leave it empty to save into the output directory itself."
    )


def directory_through_symlink(directory: str | None, root: Path) -> InvalidRequestError:
    return InvalidRequestError(
        f"directory {directory!r} leads outside the output directory {root} (through a symlink); refused."
    )


def cannot_save_into(folder: Path, error: OSError) -> InvalidRequestError:
    return InvalidRequestError(f"Cannot save into {folder}: {error.strerror or error}. Choose another directory.")


def cannot_save(path: Path, error: OSError) -> InvalidRequestError:
    return InvalidRequestError(
        f"Cannot save {path}: {error.strerror or error}. Choose another directory, or try again."
    )


def local_files_refused(path: Path) -> InvalidRequestError:
    return InvalidRequestError(
        f"{path} is a local file, and the Dream Machine API takes images and videos by public http(s) URL only. "
        "Pass a URL the file can be fetched from instead."
    )


def not_an_asset_url(url: str) -> InvalidRequestError:
    return InvalidRequestError(f"Refusing to download {url!r}: only valid http(s) asset URLs are fetched.")


# The ends of a call, as text for the SDK's own errors.


def outcome_unknown(tool: str) -> str:
    """For a paid call that ended in a way nobody planned for: it may have reached Luma, so say so."""
    return (
        f"{tool} ended unexpectedly after its request may have reached Luma, so it may have been charged. Check "
        "list_generations for the new generation before trying again, so the user is not charged twice."
    )


def out_of_time(tool: str) -> str:
    return (
        f"{tool} did not finish within this server's time limit for one call (LUMA_MCP_MAX_WAIT), so it was "
        "stopped. Call get_generation or list_generations to see where things stand, then try again if need be."
    )


def reading_out_of_time(uri: str) -> str:
    return out_of_time(f"reading {uri}")


def no_such_generation_resource(generation_id: str) -> str:
    return f"No generation {generation_id}"


def too_many_subscriptions(limit: int) -> str:
    return (
        f"This connection already has {limit} subscriptions, the most allowed; unsubscribe from finished "
        "generations first."
    )


def too_many_listened(limit: int, named: int) -> str:
    return f"A listen request may name at most {limit} resources; it named {named}."


def too_many_listens(limit: int) -> str:
    return f"This account already has {limit} listen streams open, the most allowed; close one first."


def task_ids_not_a_list() -> str:
    return "taskIds must be a list of task ids (strings), as tools/call returned them."


def no_such_task(task_id: str) -> str:
    """Said alike of an id that was never a task and of another account's generation: neither is this caller's."""
    return f"Failed to retrieve task: no task {task_id} for this Luma key (task ids are generation ids)."


def task_look_out_of_time(task_id: str) -> str:
    return out_of_time(f"looking at task {task_id}")


def task_look_failed(task_id: str, error: Exception) -> str:
    return f"Could not look at task {task_id} just now: {error}"


def not_as_luma_writes_it(uri: str, canonical_uri: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"{uri} names a generation id the way Luma never writes it; subscribe to {canonical_uri} instead."
    )


def too_many_follows(limit: int) -> str:
    return f"This account already has {limit} generations subscribed to, the most allowed; unsubscribe from some first."


# Luma's side.


def generation_failed(generation_id: str, failure_reason: str | None) -> GenerationFailedError:
    reason = failure_reason or "Luma gave no reason"
    return GenerationFailedError(
        f"Generation {generation_id} failed: {reason}. Failed generations are refunded by Luma; "
        "change the prompt or the keyframe images and create a new generation.",
        generation_id=generation_id,
        failure_reason=failure_reason,
    )


def deleted_while_waiting(generation_id: str, cause: NotFoundError) -> NotFoundError:
    return NotFoundError(
        f"Generation {generation_id} no longer exists: it was deleted while this call waited for it. "
        "Call list_generations to see the generations that remain.",
        status_code=cause.status_code,
        detail=cause.detail,
    )


_KEY_SETTING = {"dream-machine": "LUMA_API_KEY", "agents": "LUMA_AGENTS_API_KEY (or LUMA_API_KEY)"}
_KEY_PAGES = {"dream-machine": KEYS_PAGE, "agents": AGENTS_KEYS_PAGE}
_LIMITS = {
    "dream-machine": "Luma allows 10 video generations in flight and 20 creates a minute",
    "agents": "Luma limits creates a minute and jobs in flight by plan (see https://platform.lumalabs.ai)",
}


def status_error(
    status_code: int, body: Any, *, method: str, path: str, retry_after: float | None = None, api: str = "dream-machine"
) -> APIStatusError:
    """Luma's non-2xx answer (from `api`) as the most specific error."""
    detail = _detail_text(body)
    said = f": {detail}" if detail else ""
    where = f"{method} {path}"
    if status_code in (400, 422):
        return BadRequestError(
            f"Luma rejected the request ({status_code}){said}", status_code=status_code, detail=detail
        )
    if status_code in (401, 403):
        return AuthenticationError(
            f"Luma refused the API key ({status_code}){said}. Check the key: {_KEY_SETTING[api]} in the server's "
            f"configuration (or the X-Luma-Api-Key header, over HTTP); keys are made at {_KEY_PAGES[api]}.",
            status_code=status_code,
            detail=detail,
        )
    if status_code == 404:
        return NotFoundError(
            f"Luma has no such resource ({where}){said}. Check the id, or call list_generations to see yours.",
            status_code=status_code,
            detail=detail,
        )
    if status_code == 429:
        asks = f" Luma asks to wait {retry_after:.0f} s." if retry_after else ""
        return RateLimitError(
            f"Luma's rate limit was hit (429){said}.{asks} {_LIMITS[api]}; wait for running generations to finish "
            "and try again.",
            status_code=status_code,
            detail=detail,
            retry_after=retry_after,
        )
    if status_code >= 500:
        return ServerError(
            f"Luma had a server error ({status_code}) on {where}{said}. It is usually brief; try again shortly.",
            status_code=status_code,
            detail=detail,
        )
    return APIStatusError(f"Luma answered {status_code} on {where}{said}", status_code=status_code, detail=detail)


def _detail_text(body: Any) -> str | None:
    """Luma's error body is `{"detail": str}`; a FastAPI-style 422 puts a list of `{loc, msg}` there instead."""
    if not isinstance(body, dict):
        return None
    detail = body.get("detail")
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict):
                location = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
                parts.append(f"{location}: {item.get('msg', '')}" if location else str(item.get("msg", "")))
        return "; ".join(parts) or None
    return None


def still_rate_limited(busy: RateLimitError, retry_in: float) -> RateLimitError:
    """Luma's own 429, asking for a longer wait than the call has left: Luma queues nothing, so nothing was made."""
    return RateLimitError(
        f"{busy} That is longer than this call can still wait: nothing was created. Try again in "
        f"{math.ceil(retry_in)} s.",
        status_code=busy.status_code,
        detail=busy.detail,
        retry_after=busy.retry_after,
    )


def no_in_flight_slot(limit: int) -> RateLimitError:
    return RateLimitError(
        f"Luma allows {limit} generations in flight on this account and that many are still "
        "running; none finished in time for this call. Nothing was created. Wait for one with "
        "get_generation(wait=true), then try again.",
        status_code=429,
        detail=None,
    )


def no_create_slot(limit: int, window: float, frees_in: float) -> RateLimitError:
    return RateLimitError(
        f"Luma allows {limit} creates per {window:.0f} s and that many were sent; the next slot "
        f"frees in {frees_in:.0f} s, after this call's wait limit. Nothing was created; "
        "try again then.",
        status_code=429,
        detail=None,
        retry_after=frees_in,
    )


LostCreateSearch = Literal["unfindable", "no_time", "list_failed", "not_listed"]
"""How the search for a create whose answer was lost ended."""
_SEARCHES: dict[LostCreateSearch, str] = {
    "unfindable": "which generation it would be cannot be told from Luma's list",
    "no_time": "this call had no time left to look for it",
    "list_failed": "Luma could not be asked whether it started it",
    "not_listed": "no matching generation shows in list_generations yet",
}


def create_outcome_unknown(what: str, lost: LumaError, search: LostCreateSearch) -> CreateOutcomeUnknownError:
    """`what` ("create", "upscale", "audio") was sent and its answer lost to `lost`. The model gets one instruction,
    to check before trying again: never a "try again shortly" that would pay twice."""
    return CreateOutcomeUnknownError(
        f"Luma's answer to the {what} request was lost ({_what_happened(lost)}), so it may or may not have "
        f"started, and {_SEARCHES[search]}. Call list_generations in a minute and check before trying again, so the "
        "user is not charged twice."
    )


def agents_create_outcome_unknown(lost: LumaError | None) -> CreateOutcomeUnknownError:
    """The Agents API can neither list generations nor take an idempotency key: a lost answer is lost for good."""
    happened = _what_happened(lost) if lost is not None else "the reply named no usable generation id"
    return CreateOutcomeUnknownError(
        f"Luma's answer to the create request was lost ({happened}), so it may have started and been charged, and "
        "the Agents API offers no way to look it up. Do not create it again without asking the user: they can see "
        "their jobs and charges at https://platform.lumalabs.ai."
    )


def agents_source_refused(generation_id: str, what: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"Generation {generation_id} was made with the Agents API (ray-3.2), and {what} is offered only for Dream "
        "Machine generations (ray-2, ray-flash-2) here; nothing was sent to Luma."
    )


def model_of_other_api(generation_id: str, api: str, model: str) -> InvalidRequestError:
    """A model of one API asked to work on a generation the other API made: the source's API decides."""
    made_by = "the Agents API (ray-3.2)" if api == "agents" else "the Dream Machine API (ray-2, ray-flash-2)"
    return InvalidRequestError(
        f"Generation {generation_id} was made with {made_by}, so it is extended there; model={model!r} belongs to "
        "the other API. Leave model out (or pick one of that API's). Nothing was sent to Luma."
    )


def source_of_other_api(generation_id: str, model: str, tool: str, argument: str) -> InvalidRequestError:
    """A Dream Machine generation given as the source of an Agents API job: the source's API decides."""
    return InvalidRequestError(
        f"Generation {generation_id} was made with the Dream Machine API (ray-2, ray-flash-2), so it is changed "
        f"there, and model={model!r} belongs to the Agents API; this server does not offer {tool} on the Dream "
        f"Machine API. To use {model} anyway, pass the file's URL (from get_generation) as {argument} instead of "
        "the id. Nothing was sent to Luma."
    )


def too_many_images(argument: str, given: int, most: int, why: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"{argument} has {given} images, and at most {most} are taken here ({why}). Keep the {most} that matter "
        "most. Nothing was sent to Luma."
    )


def video_too_long(argument: str, seconds: float, most: float) -> InvalidRequestError:
    return InvalidRequestError(
        f"{argument} runs {seconds:.1f} s, and Luma edits videos of at most {most:g} s. Trim it to {most:g} s or "
        "less first. Nothing was sent to Luma."
    )


def ledger_unreadable(error: Exception) -> LumaMCPError:
    return LumaMCPError(
        f"This server's ledger of generations could not be read ({type(error).__name__}). Dream Machine generations "
        "can still be listed with api='dream-machine'; the operator can check LUMA_MCP_STATE_DIR."
    )


def agents_needs_https(argument: str, url: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"{argument}={_shorten(url)} is not an https URL, and the Agents API (ray-3.2) fetches images over https "
        "only. Pass the https address of the image, the id of a finished generation, or the path of a local file. "
        "Nothing was sent to Luma."
    )


# Local images and videos named by path: refused before anything is read beyond their first bytes, or sent.

INPUT_DIRS_SETTING = "LUMA_MCP_INPUT_DIRS"
MEDIA_FORMATS = "a JPEG, PNG, WebP or GIF image, or an MP4 or MOV video"


def local_files_not_here(argument: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"{argument} names a local file, and this request brings its own Luma key: the server reads local files "
        "only for its own account, from the folders its operator named in "
        f"{INPUT_DIRS_SETTING}. Pass an https URL or the id of a finished generation instead. Nothing was sent."
    )


def local_file_outside(argument: str, value: str, folders: Sequence[Path]) -> InvalidRequestError:
    where = ", ".join(str(folder) for folder in folders)
    return InvalidRequestError(
        f"{argument}={_shorten(value)} is outside the folders local images and videos are read from ({where}), "
        "symlinks followed. Copy the file into one of them, or ask the user to add its folder to "
        f"{INPUT_DIRS_SETTING} (folders separated by the platform's path separator). Nothing was sent to Luma."
    )


def local_file_missing(argument: str, path: Path) -> InvalidRequestError:
    return InvalidRequestError(
        f"{argument}: there is no file {path}. Check the path (a relative one is taken from the first folder of "
        f"{INPUT_DIRS_SETTING}). Nothing was sent to Luma."
    )


def local_file_unreadable(argument: str, path: Path, error: OSError) -> InvalidRequestError:
    return InvalidRequestError(
        f"{argument}: {path} cannot be read ({error.strerror or type(error).__name__}). Nothing was sent to Luma."
    )


def local_file_not_regular(argument: str, path: Path) -> InvalidRequestError:
    return InvalidRequestError(
        f"{argument}: {path} is not a regular file (a folder, a device or a pipe). Name {MEDIA_FORMATS} file inside "
        f"the folders of {INPUT_DIRS_SETTING}. Nothing was sent to Luma."
    )


def local_file_not_media(argument: str, path: Path) -> InvalidRequestError:
    return InvalidRequestError(
        f"{argument}: {path} is not {MEDIA_FORMATS}, judged by its bytes rather than its name (HEIC, AVIF and other "
        f"formats are not taken). Convert it, or pass an https URL. Only such files inside the folders of "
        f"{INPUT_DIRS_SETTING} are uploaded. Nothing was sent to Luma."
    )


def local_file_wrong_kind(argument: str, path: Path, found: str, wanted: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"{argument} takes {'an' if wanted == 'image' else 'a'} {wanted}, and {path} is {found}. Pass "
        f"{'an' if wanted == 'image' else 'a'} {wanted} file. Nothing was sent to Luma."
    )


def local_file_too_big(argument: str, path: Path, size: int, limit: int, kind: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"{argument}: {path} is {size:,} bytes, and Luma takes {kind}s of at most {limit:,} bytes. Make it smaller "
        "(a JPEG at quality 85-92 under 4 MB is plenty for an image). Nothing was sent to Luma."
    )


def generation_media_not_ready(argument: str, generation_id: str, state: str | None) -> InvalidRequestError:
    return InvalidRequestError(
        f"{argument}: generation {generation_id} is {state}, not completed, so it has nothing to use yet. Call "
        "get_generation with wait=true until it is completed, then pass its id again. Nothing was started."
    )


def video_given_as_image(argument: str, generation_id: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"{argument}: generation {generation_id} made a video, and this changes an image: it would change the "
        "video's thumbnail. To change the video, call edit_video or reframe_video; to change an image, pass an "
        "image generation's id or an https URL. Nothing was started."
    )


def generation_without_media(argument: str, generation_id: str, kind: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"{argument}: generation {generation_id} has no {kind} to use. Pass the id of a generation that made "
        f"{'an' if kind == 'image' else 'a'} {kind}, an https URL, or a local file (to continue a video, call "
        "extend_generation). Nothing was started."
    )


def dream_machine_needs_url(
    argument: str, value: str, model: str, media: str = "images", agents_model: str | None = "ray-3.2"
) -> InvalidRequestError:
    """`agents_model`: the Agents API model that does the same from a local file, if any does."""
    instead = (
        f"Use model={agents_model!r} (which uploads local files), or pass a public https URL"
        if agents_model
        else "Pass a public https URL (no Agents API model does this from a local file)"
    )
    return InvalidRequestError(
        f"{argument}={_shorten(value)} is a local file, and {model} runs on the Dream Machine API, which takes "
        f"{media} by public URL only. {instead}. Nothing was sent to Luma."
    )


def edit_source_of_other_api(generation_id: str, api: str, model: str, argument: str) -> InvalidRequestError:
    """A generation given by id to a model of the other API than the one that made it: the source's API decides."""
    made_by, other = (
        ("the Agents API (ray-3.2)", "the Dream Machine API")
        if api == "agents"
        else ("the Dream Machine API (ray-2, ray-flash-2)", "the Agents API")
    )
    return InvalidRequestError(
        f"Generation {generation_id} was made with {made_by}, so it is changed there, and model={model!r} belongs to "
        f"{other}. Leave model out to use its own API, or pass the file's URL (from get_generation) as {argument} "
        "instead of the id. Nothing was sent to Luma."
    )


def reframe_geometry_refused(arguments: str, why: str) -> InvalidRequestError:
    """Where the source sits in a Dream Machine reframe: pixel positions that cannot describe a frame."""
    return InvalidRequestError(f"{arguments}: {why}. Nothing was sent to Luma.")


def keyframe_past_the_end(position: int, frame: int, duration: str, last: int) -> InvalidRequestError:
    longer = " or duration='10s' (0 to 240)" if duration == "5s" else ""
    return InvalidRequestError(
        f"keyframes[{position}].frame={frame} is past the end of a {duration} video, whose frames are 0 to {last} "
        f"at 24 fps. Use a frame from 0 to {last}{longer}. Nothing was sent to Luma."
    )


def keyframes_share_a_frame(frame: int) -> InvalidRequestError:
    return InvalidRequestError(
        f"Two keyframes are at frame {frame}; each keyframe needs a frame of its own. Nothing was sent to Luma."
    )


def agents_cannot_delete(generation_id: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"Generation {generation_id} was made with the Agents API, which offers no way to delete it; nothing was "
        "sent. Its output URLs expire within an hour anyway. To drop it from list_generations, call "
        "delete_generation again with forget=true."
    )


def merged_list_too_deep(depth: int) -> InvalidRequestError:
    return InvalidRequestError(
        f"With both Luma APIs, list_generations pages through the newest {depth} of each; for older ones pass "
        "api='dream-machine' or api='agents'. Nothing was sent to Luma."
    )


def not_offered(api: str, what: str) -> InvalidRequestError:
    """Something one Luma API has and the other lacks, refused before any request."""
    other = "the Dream Machine API" if api == "agents" else "the Agents API"
    name = "The Agents API" if api == "agents" else "The Dream Machine API"
    return InvalidRequestError(f"{name} does not offer {what}; nothing was sent. It may be available on {other}.")


def file_refused(path: Path, reason: str | None) -> LumaError:
    return LumaError(
        f"Luma did not accept {path.name} ({reason or 'no reason given'}). Check that it is a JPEG, PNG, WebP, GIF, "
        "MP4 or MOV file Luma can read, or pass an https URL instead."
    )


def local_file_changed(path: Path) -> InvalidRequestError:
    return InvalidRequestError(
        f"{path} changed while it was being uploaded, so it is not the file that was checked. Nothing was started; "
        "call the tool again once the file stays as it is."
    )


def file_not_ready(path: Path) -> LumaError:
    return LumaError(
        f"{path.name} was uploaded, but Luma had not finished taking it in when this call ran out of time. Call the "
        "same tool again in a minute: the file is uploaded only once."
    )


def _what_happened(error: LumaError) -> str:
    if isinstance(error, APIStatusError):
        return f"HTTP {error.status_code}"
    if isinstance(error, APITimeoutError):
        return "it timed out"
    if isinstance(error, APIResponseError):
        return "the reply could not be read"
    return "the connection broke"


# `where` is the request, such as "GET /generations/<id>".


def not_sent(where: str) -> APIConnectionError:
    return APIConnectionError(f"{where} was not sent: this call has no time left for it.", may_have_reached_luma=False)


def cannot_connect(host: str, where: str, cause: Exception) -> APIConnectionError:
    return APIConnectionError(
        f"Could not connect to Luma at {host} for {where} ({_kind(cause)}). Check the network and LUMA_BASE_URL.",
        may_have_reached_luma=False,
    )


def no_answer_in_time(where: str, seconds: float, cause: Exception) -> APITimeoutError:
    return APITimeoutError(f"Luma did not answer {where} within {seconds:.0f} s ({_kind(cause)}). Try again shortly.")


def answer_unfinished(where: str, seconds: float) -> APITimeoutError:
    return APITimeoutError(f"Luma did not finish answering {where} within {seconds:.0f} s. Try again shortly.")


def connection_broke(where: str, cause: Exception) -> APIConnectionError:
    return APIConnectionError(f"The connection to Luma broke during {where} ({_kind(cause)}). Try again shortly.")


def request_failed(where: str, cause: Exception) -> APIConnectionError:
    return APIConnectionError(f"The request {where} failed ({_kind(cause)}). Try again shortly.")


def undecodable_answer(where: str, cause: Exception) -> APIResponseError:
    return APIResponseError(f"Luma's answer to {where} could not be decoded ({_kind(cause)}).")


def answer_not_json(where: str, status_code: int) -> APIResponseError:
    return APIResponseError(f"Luma's answer to {where} was not JSON (HTTP {status_code}).")


def answer_too_big(where: str, limit_bytes: int) -> APIResponseError:
    return APIResponseError(
        f"Luma's answer to {where} was over {limit_bytes // 1024**2} MiB, far more than any real answer, "
        "so it was not read."
    )


def answer_out_of_shape(where: str, problems: int) -> APIResponseError:
    return APIResponseError(f"Luma's answer to {where} was not in the expected shape ({problems} problems).")


def answer_id_not_a_uuid(where: str) -> APIResponseError:
    return APIResponseError(
        f"Luma's answer to {where} gave the generation an id that is not a UUID, so the answer was not used."
    )


def answer_about_another(where: str, got: str, asked: str) -> APIResponseError:
    return APIResponseError(
        f"Luma's answer to {where} was about generation {got}, not {asked}, so it was not used. Try again in a moment."
    )


# Saving a finished video; the asset URLs are Luma's CDN, not its API.


def id_cannot_name_a_file() -> APIResponseError:
    return APIResponseError(
        "Luma gave the generation an id that is not a UUID, so it cannot name a file; nothing was saved."
    )


def download_too_slow(generation_id: str, seconds: float) -> LumaError:
    return LumaError(
        f"Downloading generation {generation_id} did not finish in {seconds:.0f} s; "
        "the asset host is too slow. Try again later."
    )


def download_crashed(generation_id: str, cause: Exception) -> LumaError:
    return LumaError(f"Downloading generation {generation_id} failed ({_kind(cause)}).")


def download_refused(url: str, status_code: int) -> LumaError:
    return LumaError(f"Downloading {url} failed: HTTP {status_code}.")


def download_declared_too_big(url: str, declared: int, limit: int) -> LumaError:
    return LumaError(f"Refusing to download {url}: {declared} bytes is over the {limit} limit.")


def download_too_big(url: str, limit: int) -> LumaError:
    return LumaError(f"Refusing to download {url}: it is over the {limit} byte limit.")


def download_broke(url: str, cause: Exception) -> APIConnectionError:
    return APIConnectionError(f"Downloading {url} failed ({_kind(cause)}); try again.")


def _kind(cause: BaseException) -> str:
    return type(cause).__name__


def _shorten(value: object) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int too long to print (Python's 4300-digit limit)
        return "a number too large to show"
    return text if len(text) <= 60 else f"{text[:57]}..."


def usd(amount: float) -> str:
    """A dollar amount as people write it: cents, or the fraction of a cent a price has ($0.0404)."""
    return f"${amount:.2f}" if round(amount, 2) == amount else f"${amount:.4f}"


def priced_at(
    usd_estimate: float | None, unknown_because: str | None, counted_usd: float, api: str, counted_as: str | None
) -> str:
    """A create's estimate as the spending guard counts it."""
    if usd_estimate is not None and counted_as is not None:
        return f"estimated at {usd(usd_estimate)} for {counted_as}, so counted at {usd(counted_usd)}"
    if usd_estimate is not None:
        return f"estimated at {usd(usd_estimate)}"
    return (
        f"of no known price ({unknown_because}), so counted at {usd(counted_usd)}, the highest known price on the "
        f"{api} API"
    )


def source_of_unknown_size(model: str, longest_seconds: float) -> str:
    return (
        f"a 5 s 720p source (Luma charges by the source's pixels, and this source's length and size are not known "
        f"before sending: it counts as the largest video Ray 2 makes, {longest_seconds:g} s of 4k at 21:9, the "
        f"longest {model} takes; a video this server made, given by its id, is priced exactly)"
    )


def spending_cap_reached(api: str, *, spent_today: float, cap: float, priced: str) -> LumaMCPError:
    return LumaMCPError(
        f"Not sent: this create would pass the daily spending cap. Today (UTC) this server has spent "
        f"{usd(spent_today)} on the {api} API for this account, by estimate; the cap (LUMA_MCP_MAX_SPEND_USD) is "
        f"{usd(cap)} a day; this create is {priced}. Nothing was "
        "sent to Luma. Choose something cheaper (a shorter or lower-resolution video, a flash model), or wait for "
        "midnight UTC; the user can raise the cap."
    )


def spending_cap_unkept(cap: float, error: Exception) -> LumaMCPError:
    return LumaMCPError(
        f"Not sent: a daily spending cap is set (LUMA_MCP_MAX_SPEND_USD, {usd(cap)}) but this server's ledger could "
        f"not be used to keep it ({type(error).__name__}), so it makes nothing that costs money until it can. Nothing "
        "was sent to Luma. The operator can check the disk and LUMA_MCP_STATE_DIR; reading and downloading still work."
    )


def spending_cap_without_ledger(cap: float) -> LumaMCPError:
    return LumaMCPError(
        f"Not sent: a daily spending cap is set (LUMA_MCP_MAX_SPEND_USD, {usd(cap)}) but this server keeps no ledger "
        "(LUMA_MCP_LEDGER=off, or its state folder cannot be used), so it cannot tell what it spent today and "
        "makes nothing that costs money. Nothing was sent to Luma. The user can turn the ledger on or unset the cap."
    )
