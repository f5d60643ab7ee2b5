"""The emulator's Agents API (``agents.lumalabs.ai/v1``): Uni-1 images, Ray 3.2 video, the Files API.

Served by the same app as the Dream Machine API, under ``/agents/v1``, with keys, generations, files and limits of
its own. Its behaviour follows the notes in luma-agents-api.md (SDK ``luma-agents`` 0.5.0 is the schema); where they
give Luma's wording, the message is Luma's, and where they give none it is ours, marked "inferred".
"""
