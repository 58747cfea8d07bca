"""A name bound twice in one module or class body silently replaces the first binding.

Session 55 lost a case this way: a second module-level regex named like an existing one in
``bot/dialogs/complaint.py`` replaced it, and a problem the customer took back while asked was
dropped. ruff flags a function or import defined twice, not a plain assignment, so this check
reads every package module's top-level and class-level statements itself.
"""

import ast
import collections
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "knowledge", "escalation")


def _bound(statement: ast.stmt) -> list[str]:
    """Names a top-level statement binds unconditionally (not inside if/try)."""
    if isinstance(statement, ast.Assign):
        return [t.id for t in statement.targets if isinstance(t, ast.Name)]
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return [statement.target.id] if statement.value is not None else []
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        decorators = {ast.unparse(d) for d in statement.decorator_list}
        # @typing.overload stubs and a property's setter/deleter rebind on purpose.
        if decorators & {"overload", "typing.overload"} or any(
            d.endswith((".setter", ".deleter")) for d in decorators
        ):
            return []
        return [statement.name]
    return []


def rebound(source: str) -> list[tuple[str, str, list[int]]]:
    """(scope, name, lines) for each name bound more than once in one body."""
    found = []

    def scan(body: list[ast.stmt], scope: str) -> None:
        lines = collections.defaultdict(list)
        for statement in body:
            for name in _bound(statement):
                lines[name].append(statement.lineno)
            if isinstance(statement, ast.ClassDef):
                scan(statement.body, f"{scope}.{statement.name}")
        found.extend((scope, n, ls) for n, ls in lines.items() if len(ls) > 1)

    scan(ast.parse(source).body, "<module>")
    return found


def test_the_check_sees_a_regex_bound_twice_and_lets_a_property_setter_be():
    source = (
        "import re\n"
        "_TAKEN_BACK = re.compile('a')\n"
        "class Flow:\n"
        "    LIMIT = 1\n"
        "    @property\n"
        "    def size(self): return 1\n"
        "    @size.setter\n"
        "    def size(self, value): pass\n"
        "    LIMIT = 2\n"
        "_TAKEN_BACK = re.compile('b')\n"
    )
    assert rebound(source) == [
        ("<module>.Flow", "LIMIT", [4, 9]),
        ("<module>", "_TAKEN_BACK", [2, 10]),
    ]


@pytest.mark.parametrize(
    "path",
    sorted(str(p.relative_to(ROOT)) for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")),
)
def test_no_name_is_bound_twice_in_one_module_or_class(path):
    assert rebound((ROOT / path).read_text(encoding="utf-8")) == []
