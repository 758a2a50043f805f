"""Every public name of ``workos_sso`` has a docstring (offline; CI fails when one is missing).

"Public" is ``workos_sso.__all__``: its classes and functions, and the public methods and
properties of those classes. Docstrings are read from the source with ``ast`` rather than from
``__doc__``, so a docstring inherited from ``Exception``, ``str`` or ``Enum`` does not count as
the class having one. The API reference page (mkdocstrings) renders exactly these docstrings.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from functools import cache
from pathlib import Path
from typing import Union

import pytest

import workos_sso

FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]
#: Client methods that cannot fail need no ``Raises:`` section.
# close() and the read-only properties only return what the client already holds.
_METHODS_THAT_CANNOT_RAISE = frozenset({"close", "base_url", "client_id"})


@cache
def _module_tree(path: str) -> ast.Module:
    return ast.parse(Path(path).read_text(encoding="utf-8"))


def _definition(obj: object) -> Union[ast.ClassDef, FunctionNode]:
    """The ``class`` or ``def`` statement that defines ``obj``, found in its source file."""
    source_file = inspect.getsourcefile(obj)  # type: ignore[arg-type]
    assert source_file is not None, f"no source file for {obj!r}"
    name = obj.__name__  # type: ignore[attr-defined]
    for node in _module_tree(source_file).body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and (
            node.name == name
        ):
            return node
    raise AssertionError(f"{name} is not defined at the top level of {source_file}")


def _public_members(node: ast.ClassDef) -> list[FunctionNode]:
    return [
        item
        for item in node.body
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
        and not item.name.startswith("_")
    ]


def _documented_names() -> dict[str, str]:
    """Map every public qualified name to its docstring ("" when it has none)."""
    docstrings: dict[str, str] = {}
    for name in workos_sso.__all__:
        obj = getattr(workos_sso, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue  # __version__ is a string
        node = _definition(obj)
        docstrings[name] = ast.get_docstring(node) or ""
        if not isinstance(node, ast.ClassDef):
            continue
        # The class's own members, then those it inherits from the package's own bases (both
        # clients get their URL builders from one base class).
        for cls in inspect.getmro(obj):
            if not cls.__module__.startswith("workos_sso."):
                continue
            base_node = _definition(cls)
            assert isinstance(base_node, ast.ClassDef)
            for member in _public_members(base_node):
                docstrings.setdefault(f"{name}.{member.name}", ast.get_docstring(member) or "")
    return docstrings


def test_the_public_surface_is_what_this_check_walks() -> None:
    names = _documented_names()
    # A sanity floor, so an import mistake cannot make the checks below pass vacuously.
    assert {"SSOClient", "SSOClient.get_authorization_url", "Pager.pages", "WorkOSError"} <= set(
        names
    )
    assert len(names) >= len(workos_sso.__all__) - 1


def test_every_public_name_has_a_docstring() -> None:
    missing = sorted(name for name, doc in _documented_names().items() if not doc.strip())
    assert not missing, "public names without a docstring: " + ", ".join(missing)


def test_every_docstring_opens_with_a_summary_sentence() -> None:
    weak = sorted(
        name
        for name, doc in _documented_names().items()
        if doc.strip() and len(doc.strip().splitlines()[0]) < 15
    )
    assert not weak, "docstrings whose first line is too short to say anything: " + ", ".join(weak)


def test_client_methods_say_what_they_raise() -> None:
    node = _definition(workos_sso.SSOClient)
    assert isinstance(node, ast.ClassDef)
    silent = sorted(
        member.name
        for member in _public_members(node)
        if member.name not in _METHODS_THAT_CANNOT_RAISE
        and "Raises:" not in (ast.get_docstring(member) or "")
    )
    assert not silent, "SSOClient methods without a Raises: section: " + ", ".join(silent)


def _example_blocks(doc: str) -> list[str]:
    """The fenced ```python blocks of a docstring, dedented."""
    blocks: list[str] = []
    current: list[str] | None = None
    for line in doc.splitlines():
        stripped = line.strip()
        if current is None and stripped.startswith("```python"):
            current = []
        elif current is not None and stripped.startswith("```"):
            blocks.append(textwrap.dedent("\n".join(current)))
            current = None
        elif current is not None:
            current.append(line)
    assert current is None, "a ```python block in a docstring is never closed"
    return blocks


def _names_with_examples() -> list[str]:
    return sorted(name for name, doc in _documented_names().items() if _example_blocks(doc))


def test_the_docstring_examples_exist() -> None:
    names = _names_with_examples()
    # A floor, so a change in how examples are written cannot leave the check below with
    # nothing to compile.
    assert len(names) >= 5, names
    assert {"SSOClient", "start_sign_in"} <= set(names)
    unparsed = sorted(
        name for name, doc in _documented_names().items() if "Example" in doc and name not in names
    )
    assert not unparsed, "docstrings that mention an Example but hold no ```python block: " + (
        ", ".join(unparsed)
    )


@pytest.mark.parametrize("name", _names_with_examples())
def test_docstring_examples_are_valid_python(name: str) -> None:
    """Code under ``Example:`` in a docstring at least compiles (the docs pages run theirs)."""
    blocks = _example_blocks(_documented_names()[name])
    assert blocks
    for block in blocks:
        # As a function body, so an example from inside a view may ``return`` or ``await``.
        wrapped = "async def example():\n" + textwrap.indent(block, "    ")
        compile(wrapped, f"<docstring example of {name}>", "exec")


def test_example_blocks_are_found() -> None:
    doc = "Summary.\n\nExample:\n    ```python\n    x = 1\n    ```\n"
    assert _example_blocks(doc) == ["x = 1"]
    with pytest.raises(AssertionError):
        _example_blocks("Example:\n    ```python\n    x = 1\n")
