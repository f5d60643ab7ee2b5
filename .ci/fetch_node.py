"""Install a pinned Node and npm from the npm registry, with nothing but Python.

    python .ci/fetch_node.py DEST NODE_VERSION NPM_VERSION

DEST/bin then holds `node` (the registry package node-linux-<arch>, which is the bare official binary and no npm)
and `npm`/`npx` (the registry package npm, run by that node). Each tarball is checked against the integrity hash
the registry publishes for it, as `npm install` would. Honours npm_config_registry.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import platform
import shutil
import sys
import tarfile
import urllib.request
from pathlib import Path

ARCHES = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}
REGISTRY = os.environ.get("npm_config_registry") or "https://registry.npmjs.org"


def fetch(name: str, version: str) -> bytes:
    with urllib.request.urlopen(f"{REGISTRY.rstrip('/')}/{name}/{version}", timeout=60) as response:
        dist = json.load(response)["dist"]
    with urllib.request.urlopen(dist["tarball"], timeout=300) as response:
        data: bytes = response.read()
    algorithm, _, expected = dist["integrity"].partition("-")
    if base64.b64encode(hashlib.new(algorithm, data).digest()).decode() != expected:
        sys.exit(f"fetch_node: {name}@{version}: the tarball does not match the registry's integrity hash")
    return data


def unpack(data: bytes, into: Path) -> None:
    """npm tarballs keep everything under one top folder (usually package/); drop it."""
    shutil.rmtree(into, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        members = []
        for member in archive.getmembers():
            _, _, member.name = member.name.partition("/")
            if member.name:
                members.append(member)
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # Python < 3.11.4 has no filters
        archive.extractall(into, members=members, **safe)  # type: ignore[arg-type]


def main() -> None:
    dest, node_version, npm_version = Path(sys.argv[1]).resolve(), sys.argv[2], sys.argv[3]
    arch = ARCHES.get(platform.machine().lower())
    if sys.platform != "linux" or arch is None:
        sys.exit(f"fetch_node: no node-linux-* package for {sys.platform}/{platform.machine()}")
    unpack(fetch(f"node-linux-{arch}", node_version), dest / "node")
    shutil.rmtree(dest / "node" / "share")  # man pages and docs only, and a stray .py that `ruff check .` would lint
    unpack(fetch("npm", npm_version), dest / "npm")
    bin_dir = dest / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    links = {"node": "../node/bin/node", "npm": "../npm/bin/npm-cli.js", "npx": "../npm/bin/npx-cli.js"}
    for link, target in links.items():
        (bin_dir / link).unlink(missing_ok=True)
        (bin_dir / link).symlink_to(target)
    print(f"node-linux-{arch}@{node_version} and npm@{npm_version} in {bin_dir}")


if __name__ == "__main__":
    main()
