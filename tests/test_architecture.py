"""Dependencies point one way: a module imports only from its own layer and the ones below it (README,
"Architecture"), the emulator imports nothing from the rest of the package, and every error text is written in
one module, `luma_mcp.errors.wording`."""

from __future__ import annotations

import ast
from pathlib import Path

import luma_mcp

PACKAGE = Path(luma_mcp.__file__).parent
SUBPACKAGES = sorted(init.parent.name for init in PACKAGE.glob("*/__init__.py") if init.parent.name != "emulator")
WORDING = PACKAGE / "errors" / "wording.py"
BUG_GUARDS = {"RuntimeError"}
"""Errors that only ever report a bug in luma-mcp itself; the SDK hides their text from the model."""
LAYERS = (
    {"version", "errors", "settings", "timing"},
    {"models", "agents_wire", "lineup", "backend", "retries", "http_client", "client", "agents_client"},
    {"downloads", "ledger", "spending"},
    {"poller", "admission", "account", "accounts"},
    {
        "sdk_internals",
        "inputs",
        "ray3",
        "ray3_edits",
        "uni1",
        "photon",
        "results",
        "icons",
        "completions",
        "context",
        "tools",
        "resources",
        "subscriptions",
        "tasks",
        "prompts",
        "player",
    },
    {"server", "http_app", "cli", "demo", "__main__", "__init__"},
)


def layer_of(module: str) -> int:
    return next(index for index, names in enumerate(LAYERS) if module in names)


def own_modules() -> list[tuple[str, Path]]:
    """Every module of the package but the emulator's, with the layer name it belongs to (its subpackage's)."""
    modules = [(path.stem, path) for path in PACKAGE.glob("*.py")]
    return modules + [(name, path) for name in SUBPACKAGES for path in (PACKAGE / name).glob("*.py")]


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
    modules = {path.stem for path in PACKAGE.glob("*.py")} | set(SUBPACKAGES)
    assert {m for m in modules if not any(m in layer for layer in LAYERS)} == set()


def test_dependencies_point_one_way() -> None:
    wrong = []
    for module, path in own_modules():
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
    reaching |= {  # the backend itself could start a job past the queue; tool code gets `Account.reads`
        f"{path.relative_to(PACKAGE)}:{node.lineno} uses .backend"
        for path in tool_code
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and node.attr == "backend"
    }
    assert reaching == set()


def test_error_texts_are_written_only_in_the_wording_module() -> None:
    """An error built anywhere else gets its text from a call into `luma_mcp.errors.wording`, with the facts: no
    string literal, f-string or module-level text constant in its arguments."""
    written = []
    for _, path in own_modules():
        if path != WORDING:
            written += [f"{path.relative_to(PACKAGE)}:{line} {name}" for line, name in errors_given_text(path)]
    assert written == []
    assert errors_given_text(WORDING), "the check no longer sees the texts where they are written"


def errors_given_text(path: Path) -> list[tuple[int, str]]:
    """(line, class) of each error built in `path` with text written there."""
    tree = ast.parse(path.read_text())
    constants = {  # names given text anywhere in the module: a text written into a variable first counts too
        target.id
        for node in ast.walk(tree)
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None and has_text(node.value)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }
    own_texts = {  # an error class writing its own text
        id(call)
        for cls in ast.walk(tree)
        if isinstance(cls, ast.ClassDef) and cls.name.endswith("Error")
        for call in ast.walk(cls)
        if isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "__init__"
    }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = str(getattr(node.func, "id", None) or getattr(node.func, "attr", ""))
        if id(node) in own_texts:
            name = "super().__init__"
        elif not name.endswith("Error") or name in BUG_GUARDS:
            continue
        arguments = [*node.args, *(keyword.value for keyword in node.keywords)]
        if any(has_text(value) or (isinstance(value, ast.Name) and value.id in constants) for value in arguments):
            found.append((node.lineno, name))
    return found


def has_text(node: ast.AST) -> bool:
    return any(
        isinstance(part, ast.JoinedStr) or (isinstance(part, ast.Constant) and isinstance(part.value, str))
        for part in ast.walk(node)
    )
