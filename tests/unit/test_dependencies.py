"""The README's first command installs only the runtime dependencies: every library the
product's code imports must be one of them (openpyxl was once only a test dependency,
and the desk then failed at start on a fresh install while every test passed)."""

from __future__ import annotations

import ast
import re
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("bot", "handlers", "dispatch", "storage", "sandbox")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_library_the_product_imports_is_a_runtime_dependency() -> None:
    runtime = {
        _canonical(re.split(r"[\s\[<>=;!~]", requirement, maxsplit=1)[0])
        for requirement in metadata.requires("aftercare") or []
        if "extra ==" not in requirement
    }
    owners = metadata.packages_distributions()
    missing: dict[str, str] = {}
    for package in PRODUCT:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in (m.split(".")[0] for m in modules):
                    if module in sys.stdlib_module_names or module in (*PRODUCT, "tests"):
                        continue
                    if not {_canonical(d) for d in owners.get(module, [module])} & runtime:
                        missing[module] = str(path.relative_to(ROOT))
    assert missing == {}
