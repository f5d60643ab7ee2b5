"""Dependencies point one way: a module imports only from its own layer and the ones below it (README,
"Architecture"), and the emulator imports nothing from the rest of the package."""

from __future__ import annotations

import ast
from pathlib import Path

import luma_mcp

PACKAGE = Path(luma_mcp.__file__).parent
LAYERS = (
    {"version", "errors", "settings", "timing"},
    {"models", "backend", "retries", "client", "downloads"},
    {"poller", "admission", "account", "accounts"},
    {"sdk_internals", "inputs", "results", "context", "tools", "resources", "subscriptions", "prompts"},
    {"server", "http_app", "cli", "demo", "__main__", "__init__"},
)


def layer_of(module: str) -> int:
    return next(index for index, names in enumerate(LAYERS) if module in names)


def own_imports(path: Path) -> set[str]:
    """The top-level luma_mcp modules that `path` imports (`.x`, `..x`, `luma_mcp.x`)."""
    found: set[str] = set()
    in_subpackage = path.parent != PACKAGE
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and (node.module or "").startswith("luma_mcp."):
                found.add(node.module.split(".")[1])  # type: ignore[union-attr]
            elif node.level == 1 and not in_subpackage and node.module:
                found.add(node.module.split(".")[0])
            elif node.level == 2 and in_subpackage and node.module:
                found.add(node.module.split(".")[0])
    return found


def test_every_module_is_in_a_layer() -> None:
    modules = {path.stem for path in PACKAGE.glob("*.py")} | {"tools"}
    assert {m for m in modules if not any(m in layer for layer in LAYERS)} == set()


def test_dependencies_point_one_way() -> None:
    wrong = []
    for path in [*PACKAGE.glob("*.py"), *(PACKAGE / "tools").glob("*.py")]:
        module = "tools" if path.parent.name == "tools" else path.stem
        for imported in own_imports(path):
            if imported != "emulator" and layer_of(imported) > layer_of(module):
                wrong.append(f"{path.relative_to(PACKAGE)} imports {imported}")
    assert wrong == []


def test_the_emulator_stands_alone() -> None:
    """Its Agents API subpackage included."""
    modules = list((PACKAGE / "emulator").rglob("*.py"))
    assert PACKAGE / "emulator" / "agents" / "app.py" in modules
    for path in modules:
        imported = own_imports(path) - {"emulator"}
        assert imported == set(), f"{path.relative_to(PACKAGE)} imports {imported}"


def test_tool_code_speaks_to_an_account_never_to_its_machinery() -> None:
    """The poller, the create queue and the API client sit behind `Account` and `LumaBackend`: a tool that reached
    past them would work with one Luma API only, or skip the limits every create must keep."""
    machinery = {"poller", "admission", "client"}
    tool_code = [*(PACKAGE / "tools").glob("*.py"), PACKAGE / "resources.py"]
    reaching = {
        f"{path.relative_to(PACKAGE)} imports {name}" for path in tool_code for name in own_imports(path) & machinery
    }
    assert reaching == set()
