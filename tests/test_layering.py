"""Layering rules, checked on the import statements (ast) of every module under src/pbxd."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "pbxd"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def resolve(module: str, node: ast.ImportFrom) -> str:
    """The absolute module a ``from`` import names, relative levels resolved."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package(module):
        base.pop()
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports(module: str) -> set[str]:
    """Every module ``module`` imports, anywhere in its code (functions, TYPE_CHECKING too).

    ``from pkg import name`` counts as importing ``pkg.name`` when that is a module of ours,
    else as importing ``pkg``.
    """
    tree = ast.parse(MODULES[module].read_text(), str(MODULES[module]))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = resolve(module, node)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in MODULES else base)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def modules_of(package: str) -> list[str]:
    return [name for name in MODULES if within(name, package)]


def ours(names: set[str]) -> set[str]:
    return {name for name in names if within(name, "pbxd")}


RESOLVE_CASES = [
    # (importing module, statement, resolved)
    ("pbxd.manager.session", "from ..protocol import Message", "pbxd.protocol"),
    ("pbxd.manager.session", "from .response import error", "pbxd.manager.response"),
    ("pbxd.manager.actions", "from . import login", "pbxd.manager.actions"),
    ("pbxd.manager.actions.login", "from ...protocol import Message", "pbxd.protocol"),
    ("pbxd.pbx.core", "from .. import __version__", "pbxd"),
    ("pbxd.protocol", "from .codec import Decoder", "pbxd.protocol.codec"),
]


@pytest.mark.parametrize(("module", "statement", "expected"), RESOLVE_CASES)
def test_relative_imports_are_resolved(module: str, statement: str, expected: str) -> None:
    node = ast.parse(statement).body[0]
    assert isinstance(node, ast.ImportFrom)
    assert resolve(module, node) == expected


def test_from_package_import_submodule() -> None:
    assert "pbxd.manager.actions.login" in imports("pbxd.manager.actions")


def test_modules_found() -> None:
    for package in ("pbxd.protocol", "pbxd.manager", "pbxd.pbx", "pbxd.config"):
        assert package in MODULES


@pytest.mark.parametrize("module", modules_of("pbxd.protocol"))
def test_protocol_imports_nothing_of_pbxd_and_no_asyncio(module: str) -> None:
    found = imports(module)
    assert {name for name in ours(found) if not within(name, "pbxd.protocol")} == set()
    assert {name for name in found if within(name, "asyncio")} == set()


@pytest.mark.parametrize("module", modules_of("pbxd.pbx"))
def test_pbx_imports_neither_manager_nor_transport(module: str) -> None:
    bad = {n for n in imports(module) if within(n, "pbxd.manager") or within(n, "pbxd.transport")}
    assert bad == set()


@pytest.mark.parametrize("module", modules_of("pbxd.client") or ["pbxd.client"])
def test_client_imports_only_protocol(module: str) -> None:
    if module not in MODULES:
        pytest.skip("no pbxd.client package")
    bad = {
        name for name in ours(imports(module))
        if not within(name, "pbxd.protocol") and not within(name, "pbxd.client")
    }
    assert bad == set()


@pytest.mark.parametrize("module", modules_of("pbxd.config"))
def test_config_imports_no_manager_transport_or_pbx(module: str) -> None:
    bad = {
        name for name in imports(module)
        if any(within(name, f"pbxd.{layer}") for layer in ("manager", "transport", "pbx"))
    }
    assert bad == set()
