"""The tree drawn in ``_errors``' docstring is the real class hierarchy, in definition order."""

from __future__ import annotations

import inspect

from workos_sso import _errors


def _tree(cls: type, prefix: str = "", *, last: bool = True, root: bool = True) -> list[str]:
    other_bases = [
        base.__name__
        for base in cls.__bases__
        if not issubclass(base, _errors.WorkOSError) and base is not Exception
    ]
    label = cls.__name__ + (f" (also {', '.join(other_bases)})" if other_bases else "")
    lines = [label if root else prefix + ("└── " if last else "├── ") + label]
    children = [
        value
        for value in vars(_errors).values()
        if inspect.isclass(value) and cls in value.__bases__
    ]
    children.sort(key=lambda child: inspect.getsourcelines(child)[1])
    child_prefix = "" if root else prefix + ("    " if last else "│   ")
    for index, child in enumerate(children):
        lines += _tree(child, child_prefix, last=index == len(children) - 1, root=False)
    return lines


def test_the_module_docstring_draws_the_hierarchy() -> None:
    drawn = "\n".join(f"    {line}" for line in _tree(_errors.WorkOSError))
    assert drawn in (_errors.__doc__ or "")


def test_every_public_error_is_in_the_tree() -> None:
    names = {line.split("── ")[-1].split(" (")[0].strip() for line in _tree(_errors.WorkOSError)}
    assert names == set(_errors.__all__)
