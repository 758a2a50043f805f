"""Run every ```python block of every docs page, so the documentation cannot drift from the code.

The convention, which every ```python block in ``docs/*.md`` must follow (the extractor is strict:
``test_docs_follow_the_snippet_convention`` fails, naming the page and line, when one does not):

* The last non-blank line before the opening fence is a directive saying how the block runs:

  ``<!-- run: offline -->``
      Run in the default (offline) test run. The network is blocked except loopback: a block that
      tries to reach any other host fails, even if it catches the error. The environment holds
      ``WORKOS_API_KEY=sk_test_default`` and ``WORKOS_CLIENT_ID=client_01TESTCLIENT``, and no
      ``WORKOS_BASE_URL``.
  ``<!-- run: emulator -->``
      Run against a WorkOS emulator seeded from ``tests/seed.yaml`` (Foo Corp / foo-corp.com /
      alice@foo-corp.com, Bar Inc / bar.example / bob@bar.example). These tests are marked
      ``live`` and run in ``nox -s emulator``; ``WORKOS_BASE_URL``, ``WORKOS_API_KEY`` and
      ``WORKOS_CLIENT_ID`` point at the emulator. Never delete or change the seeded data: other
      tests share the emulator. Create your own organizations and connections instead.
  ``<!-- run: continue -->``
      Run after the block before it on the same page, in the same namespace and mode, as part
      of the same test: for a page that builds one example up step by step.
      ``<!-- run: continue, emulator -->`` does the same and makes the whole chain run against
      the emulator (its offline blocks too).
  ``<!-- run: compile-only: REASON -->``
      Compiled, never run. REASON (a few words at least) says why, for example a web server that
      runs forever. Use it rarely: a block that runs is a block that cannot rot.

* Each block (with its ``continue`` blocks) runs in a fresh namespace, so a reader can copy it by
  itself: it imports what it uses. Clients and sessions left open in it are closed afterwards.
* Only ```python fences hold Python. ```py, ```python3, ```pycon and ```ipython are refused, so no
  Python escapes the runner. Other languages (```bash, ```text, ```yaml, ...) are not run.
* Output check (optional): ``<!-- output -->`` followed by a ```text block right after a python
  block. What the block prints must equal that text; ``...`` matches any text within a line.
* ``--8<-- "path"`` lines (pymdownx.snippets, paths from the repository root) are expanded first,
  inside and outside fences, so an included file's blocks are run like the page's own.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import io
import ipaddress
import linecache
import logging
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import pytest
import requests

import workos_sso
from tests import emulator

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_DIRECTIVE = re.compile(r"^\s*<!--\s*run:\s*(?P<body>.*?)\s*-->\s*$")
_OUTPUT_MARK = re.compile(r"^\s*<!--\s*output\s*-->\s*$")
_INCLUDE = re.compile(r'^(?P<indent>\s*)--8<--\s+"(?P<path>[^"]+)"\s*$')
_PYTHON_LOOKALIKES = frozenset({"py", "python3", "py3", "pycon", "ipython", "python-console"})
_MODES = ("offline", "emulator", "compile-only", "continue")
_MIN_REASON_WORDS = 3


@dataclass(frozen=True)
class SourceLine:
    text: str
    path: Path
    number: int  # 1-based, in ``path``


@dataclass(frozen=True)
class Snippet:
    """One ```python block and how it runs."""

    path: Path  # the file the code is in (an included file, or the page itself)
    line: int  # the line of the first line of code in ``path``
    page: str  # the docs page, relative to the repository root
    mode: str
    reason: str
    code: str
    expected_output: Optional[str]
    continues: bool = False  # runs after the block before it, in the same namespace

    @property
    def id(self) -> str:
        where = _relative(self.path)
        return f"{where}:{self.line}" if where == self.page else f"{self.page}>{where}:{self.line}"


def _relative(path: Path) -> str:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def _expand(path: Path, text: str, problems: list[str], depth: int = 0) -> list[SourceLine]:
    """The page's lines with ``--8<-- "file"`` includes replaced by the file's lines."""
    lines: list[SourceLine] = []
    for number, line in enumerate(text.splitlines(), start=1):
        include = _INCLUDE.match(line)
        if include is None:
            if "--8<--" in line and not line.lstrip().startswith(";"):
                problems.append(
                    f'{_relative(path)}:{number}: write includes as one line: --8<-- "path"'
                )
            lines.append(SourceLine(line, path, number))
            continue
        target = ROOT / include["path"]
        if depth > 5 or not target.is_file():
            problems.append(f"{_relative(path)}:{number}: cannot include {include['path']!r}")
            continue
        for inner in _expand(target, target.read_text(encoding="utf-8"), problems, depth + 1):
            indented = include["indent"] + inner.text if inner.text else ""
            lines.append(SourceLine(indented, inner.path, inner.number))
    return lines


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return (
        len(stripped) >= len(fence) and set(stripped) == {fence[0]} and stripped.startswith(fence)
    )


def _previous_content(lines: list[SourceLine], index: int) -> Optional[SourceLine]:
    for candidate in reversed(lines[:index]):
        if candidate.text.strip():
            return candidate
    return None


def _next_content(lines: list[SourceLine], index: int) -> Optional[int]:
    for position in range(index, len(lines)):
        if lines[position].text.strip():
            return position
    return None


def _dedent(body: list[str], indent: str) -> str:
    return "\n".join(line[len(indent) :] if line.startswith(indent) else line for line in body)


def parse_markdown(page: str, path: Path, text: str) -> tuple[list[Snippet], list[str]]:
    """Extract the ```python blocks of one page; the second list holds convention violations."""
    problems: list[str] = []
    lines = _expand(path, text, problems)
    snippets: list[Snippet] = []
    used_directives: set[int] = set()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index].text)
        if opening is None:
            index += 1
            continue
        where = f"{_relative(lines[index].path)}:{lines[index].number}"
        fence, indent = opening["fence"], opening["indent"]
        language = (opening["info"].split() or [""])[0].lstrip(".{").lower()
        end = index + 1
        while end < len(lines) and not _closes(lines[end].text, fence):
            end += 1
        if end == len(lines):
            problems.append(f"{where}: this code fence is never closed")
            break
        body = [line.text for line in lines[index + 1 : end]]
        if language in _PYTHON_LOOKALIKES:
            problems.append(f"{where}: write ```python, not ```{language}, so the block is run")
        elif language == "python":
            directive_line = _previous_content(lines, index)
            directive = _DIRECTIVE.match(directive_line.text) if directive_line else None
            if directive is None:
                problems.append(
                    f"{where}: a ```python block needs <!-- run: offline -->, "
                    "<!-- run: emulator --> or <!-- run: compile-only: REASON --> before it"
                )
            else:
                used_directives.add(id(directive_line))
                mode, _, reason = directive["body"].partition(":")
                mode, reason = mode.strip(), reason.strip()
                escalate = mode == "continue, emulator"
                if escalate:
                    mode = "continue"
                if mode not in _MODES:
                    problems.append(f"{where}: unknown run mode {mode!r}; use one of {_MODES}")
                elif mode == "compile-only" and len(reason.split()) < _MIN_REASON_WORDS:
                    problems.append(f"{where}: compile-only needs a reason of a few words")
                elif mode != "compile-only" and reason:
                    problems.append(f"{where}: only compile-only takes a reason")
                elif mode == "continue" and (not snippets or snippets[-1].mode == "compile-only"):
                    problems.append(f"{where}: continue needs a run block before it on the page")
                else:
                    expected, end = _expected_output(lines, end + 1, problems, end)
                    first = lines[index + 1] if index + 1 < len(lines) else lines[index]
                    snippets.append(
                        Snippet(
                            path=first.path,
                            line=first.number,
                            page=page,
                            mode=_continued_mode(snippets, mode, escalate=escalate),
                            reason=reason,
                            code=_dedent(body, indent),
                            expected_output=expected,
                            continues=mode == "continue",
                        )
                    )
        index = end + 1
    for line in lines:
        if _DIRECTIVE.match(line.text) and id(line) not in used_directives:
            problems.append(
                f"{_relative(line.path)}:{line.number}: this run directive is not right before "
                "a ```python block"
            )
    return snippets, problems


def _continued_mode(snippets: list[Snippet], mode: str, *, escalate: bool) -> str:
    if mode != "continue":
        return mode
    return "emulator" if escalate else snippets[-1].mode


def _expected_output(
    lines: list[SourceLine], start: int, problems: list[str], end: int
) -> tuple[Optional[str], int]:
    """The ```text block after ``<!-- output -->`` following a python block, if there is one."""
    mark = _next_content(lines, start)
    if mark is None or not _OUTPUT_MARK.match(lines[mark].text):
        return None, end
    where = f"{_relative(lines[mark].path)}:{lines[mark].number}"
    fence_at = _next_content(lines, mark + 1)
    opening = _FENCE.match(lines[fence_at].text) if fence_at is not None else None
    if fence_at is None or opening is None or opening["info"].strip() != "text":
        problems.append(f"{where}: <!-- output --> must be followed by a ```text block")
        return None, end
    close = fence_at + 1
    while close < len(lines) and not _closes(lines[close].text, opening["fence"]):
        close += 1
    if close == len(lines):
        problems.append(f"{where}: the output block is never closed")
        return None, end
    body = [line.text for line in lines[fence_at + 1 : close]]
    return _dedent(body, opening["indent"]), close


def _collect() -> tuple[list[Snippet], list[str]]:
    snippets: list[Snippet] = []
    problems: list[str] = []
    for path in sorted(DOCS.glob("**/*.md")):
        page = _relative(path)
        found, wrong = parse_markdown(page, path, path.read_text(encoding="utf-8"))
        snippets.extend(found)
        problems.extend(wrong)
    return snippets, problems


SNIPPETS, PROBLEMS = _collect()


def _chains(snippets: list[Snippet]) -> list[list[Snippet]]:
    """Group each block with the ``continue`` blocks after it: one chain runs as one test.

    A chain needs the emulator if any of its blocks does.
    """
    chains: list[list[Snippet]] = []
    for snippet in snippets:
        if snippet.continues and chains and chains[-1][0].page == snippet.page:
            chains[-1].append(snippet)
        else:
            chains.append([snippet])
    return chains


def _chain_mode(chain: list[Snippet]) -> str:
    return "emulator" if any(s.mode == "emulator" for s in chain) else chain[0].mode


def _of_mode(mode: str) -> list[Any]:
    return [
        pytest.param(chain, id=chain[0].id, marks=_clock_marks(chain))
        for chain in _chains(SNIPPETS)
        if _chain_mode(chain) == mode
    ]


def _clock_marks(chain: list[Snippet]) -> list[pytest.MarkDecorator]:
    """``sleeps`` for a chain that times itself: what it prints depends on the client really
    waiting (docs/retries.md shows a ``Retry-After`` waited out), so no fake clock for it."""
    return [pytest.mark.sleeps] if any("time.monotonic()" in s.code for s in chain) else []


# --- Running a block ------------------------------------------------------------------------


def _output_matches(expected: str, actual: str) -> bool:
    expected_lines = expected.rstrip("\n").splitlines()
    actual_lines = actual.rstrip("\n").splitlines()
    if len(expected_lines) != len(actual_lines):
        return False
    for want, got in zip(expected_lines, actual_lines):
        pattern = ".*".join(re.escape(part) for part in want.rstrip().split("..."))
        if re.fullmatch(pattern, got.rstrip()) is None:
            return False
    return True


def _run(chain: list[Snippet]) -> None:
    """Execute a block (and the blocks that continue it) as one module; check what each prints."""
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    # A block may configure logging as an app would; later tests must not inherit that.
    root_handlers = logging.root.handlers[:]
    levels = {name: logging.getLogger(name).level for name in ("", "workos_sso")}
    try:
        for snippet in chain:
            _run_one(snippet, namespace)
    finally:
        for value in namespace.values():
            # What a process exit would do: close clients the block keeps for its lifetime.
            if isinstance(value, (workos_sso.SSOClient, requests.Session)):
                value.close()
        logging.root.handlers[:] = root_handlers
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _run_one(snippet: Snippet, namespace: dict[str, Any]) -> None:
    filename = f"{snippet.path}:{snippet.line}"
    # Padding puts each line of code on its line number in the page, for tracebacks.
    source = "\n" * (snippet.line - 1) + snippet.code + "\n"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(source, filename, "exec"), namespace)
    if snippet.expected_output is not None:
        assert _output_matches(snippet.expected_output, printed.getvalue()), (
            f"{snippet.id} printed:\n{printed.getvalue()}\nbut the page shows:\n"
            f"{snippet.expected_output}"
        )


def _is_loopback(host: object) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture
def network_blocked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Refuse every connection and name lookup except loopback; yields the attempts refused."""
    refused: list[str] = []
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_loopback(host):
            refused.append(f"name lookup of {host}")
            raise socket.gaierror(f"offline docs snippet: looking up {host} is not allowed")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(host):
            refused.append(f"connection to {host}")
            raise ConnectionRefusedError(f"offline docs snippet: connecting to {host}")
        real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    return refused


@pytest.fixture
def offline_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKOS_API_KEY", emulator.DEFAULT_API_KEY)
    monkeypatch.setenv("WORKOS_CLIENT_ID", emulator.CLIENT_ID)
    monkeypatch.delenv("WORKOS_BASE_URL", raising=False)


# --- The tests ------------------------------------------------------------------------------


def test_docs_follow_the_snippet_convention() -> None:
    assert not PROBLEMS, "docs snippets that break the convention:\n" + "\n".join(PROBLEMS)


def test_the_docs_have_runnable_snippets() -> None:
    # A floor, so a parser bug that finds nothing cannot pass every test below vacuously.
    assert len([s for s in SNIPPETS if s.mode == "offline"]) >= 10
    assert len([s for s in SNIPPETS if s.mode == "emulator"]) >= 5


@pytest.mark.parametrize("chain", _of_mode("offline"))
@pytest.mark.usefixtures("offline_env")
def test_offline_snippet(chain: list[Snippet], network_blocked: list[str]) -> None:
    _run(chain)
    assert not network_blocked, (
        f"{chain[0].id} is marked offline but reached for the network ({network_blocked}); "
        "mark it <!-- run: emulator -->"
    )


#: The quickstart's own seed, written out in full on the page (its ``<!-- seed: PATH -->`` block).
QUICKSTART = ROOT / "docs" / "quickstart.md"
QUICKSTART_SEED = ROOT / "docs" / "quickstart-seed.yaml"


@pytest.fixture(scope="module")
def quickstart_emulator_url() -> Any:
    """An emulator seeded from the quickstart's seed alone, as a reader of the page starts it."""
    with emulator.Emulator(seed=QUICKSTART_SEED) as running:
        yield running.url


@pytest.mark.live
@pytest.mark.parametrize("chain", _of_mode("emulator"))
def test_emulator_snippet(
    chain: list[Snippet], request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The quickstart runs on its own seed, so the page's short seed is proven to be enough.
    fixture = "quickstart_emulator_url" if chain[0].path == QUICKSTART else "emulator_url"
    emulator_url = request.getfixturevalue(fixture)
    monkeypatch.setenv("WORKOS_BASE_URL", emulator_url)
    monkeypatch.setenv("WORKOS_API_KEY", emulator.DEFAULT_API_KEY)
    monkeypatch.setenv("WORKOS_CLIENT_ID", emulator.CLIENT_ID)
    _run(chain)


def test_every_snippet_is_python_3_9_syntax() -> None:
    # The oldest supported Python; newer syntax would break copy-paste there.
    wrong = []
    for snippet in SNIPPETS:
        try:
            ast.parse(snippet.code, feature_version=(3, 9))
        except SyntaxError as error:
            wrong.append(f"{snippet.id}: {error.msg} (line {error.lineno} of the block)")
    assert not wrong, "\n".join(wrong)


def test_compile_only_snippets_compile() -> None:
    compile_only = [snippet for snippet in SNIPPETS if snippet.mode == "compile-only"]
    # docs/concurrency.md has one (it starts worker processes); without any, this check would
    # pass on nothing, so a parsing slip that loses the mode must fail here.
    assert compile_only, "no <!-- run: compile-only: ... --> snippet found in the docs"
    for snippet in compile_only:
        compile(snippet.code, snippet.id, "exec")


# --- Pages that must stay complete as the library grows -----------------------------------------


def _public(kind: str) -> list[str]:
    names = []
    for name in workos_sso.__all__:
        obj = getattr(workos_sso, name)
        is_error = inspect.isclass(obj) and issubclass(obj, BaseException)
        if (kind == "error" and is_error) or (
            kind == "documented" and (inspect.isclass(obj) or inspect.isfunction(obj))
        ):
            names.append(name)
    return names


def test_the_errors_table_has_a_row_for_every_error_class() -> None:
    table_rows = [
        line
        for line in (DOCS / "errors.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("|")
    ]
    first_cells = {row.split("|")[1].strip() for row in table_rows if row.count("|") > 2}
    missing = [name for name in _public("error") if f"`{name}`" not in " ".join(first_cells)]
    assert not missing, "docs/errors.md has no table row for: " + ", ".join(missing)


def _errors_table() -> dict[str, list[str]]:
    """The errors table of docs/errors.md: each row's class name and the names under "Is a"."""
    rows: dict[str, list[str]] = {}
    for line in (DOCS / "errors.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.fullmatch(r"`\w+(Error|Refused)`", cells[0]):
            rows[cells[0].strip("`")] = re.findall(r"`(\w+)`", cells[1])
    return rows


def test_the_errors_table_says_what_each_error_derives_from() -> None:
    wrong = []
    for name, said in _errors_table().items():
        error_class = getattr(workos_sso, name)
        bases = [base.__name__ for base in error_class.__bases__]
        if said != bases:
            wrong.append(f"{name}: the table says {said}, the class derives from {bases}")
    assert not wrong, "\n".join(wrong)
    assert len(_errors_table()) == len(_public("error"))


def test_the_reference_renders_every_public_class_and_function() -> None:
    page = (DOCS / "reference.md").read_text(encoding="utf-8")
    rendered = set(re.findall(r"^::: workos_sso\.(\w+)\s*$", page, flags=re.MULTILINE))
    missing = [name for name in _public("documented") if name not in rendered]
    assert not missing, "docs/reference.md has no ::: entry for: " + ", ".join(missing)


# --- The extractor itself, on hand-made pages ---------------------------------------------------

FIXTURE_PAGE = """\
# A page

<!-- run: offline -->
```python
print("one")
```

<!-- output -->
```text
o...
```

!!! note
    <!-- run: emulator -->

    ```python title="nested.py"
    x = 2
    ```

```bash
echo not python
```
"""


def test_the_extractor_finds_blocks_modes_and_output() -> None:
    snippets, problems = parse_markdown("page.md", ROOT / "page.md", FIXTURE_PAGE)
    assert problems == []
    assert [(s.mode, s.code, s.line) for s in snippets] == [
        ("offline", 'print("one")', 5),
        ("emulator", "x = 2", 17),
    ]
    assert snippets[0].expected_output == "o..."
    assert _output_matches("o...", "one\n")
    assert not _output_matches("o...", "two\n")


@pytest.mark.parametrize(
    ("page", "complaint"),
    [
        ("```python\nx = 1\n```\n", "needs <!-- run"),
        ("<!-- run: offline -->\n```py\nx = 1\n```\n", "not ```py"),
        ("<!-- run: offline -->\n```python\nx = 1\n", "never closed"),
        ("<!-- run: sometimes -->\n```python\nx = 1\n```\n", "unknown run mode"),
        ("<!-- run: compile-only -->\n```python\nx = 1\n```\n", "needs a reason"),
        ("<!-- run: offline -->\n\nSome prose.\n\n```python\nx = 1\n```\n", "needs <!-- run"),
        ("<!-- run: offline -->\n\n```bash\nls\n```\n", "not right before"),
        ('--8<-- "no/such/file.md"\n', "cannot include"),
        ("<!-- run: continue -->\n```python\nx = 1\n```\n", "continue needs"),
    ],
)
def test_the_extractor_refuses_what_the_convention_forbids(page: str, complaint: str) -> None:
    _, problems = parse_markdown("page.md", ROOT / "page.md", page)
    assert any(complaint in problem for problem in problems), problems


def test_includes_are_expanded_with_their_own_line_numbers() -> None:
    page = '<!-- run: offline -->\n```python\n--8<-- "tests/seed.yaml"\n```\n'
    [snippet], problems = parse_markdown("page.md", ROOT / "page.md", page)
    assert problems == []
    assert snippet.path == ROOT / "tests" / "seed.yaml"
    assert snippet.line == 1
    assert snippet.code.startswith("# Seed for the official WorkOS emulator")


def test_an_offline_block_that_reaches_out_fails(network_blocked: list[str]) -> None:
    snippet = Snippet(
        path=ROOT / "page.md",
        line=1,
        page="page.md",
        mode="offline",
        reason="",
        code="import socket\ntry:\n    socket.create_connection(('192.0.2.1', 443))\n"
        "except OSError:\n    pass\n",
        expected_output=None,
    )
    _run([snippet])
    assert network_blocked
    assert all("192.0.2.1" in attempt for attempt in network_blocked)


def test_continue_blocks_share_the_namespace_of_the_block_before() -> None:
    page = (
        "<!-- run: offline -->\n```python\nanswer = 6 * 7\n```\n\n"
        "<!-- run: continue -->\n```python\nprint(answer)\n```\n"
        "<!-- output -->\n```text\n42\n```\n\n"
        "<!-- run: offline -->\n```python\nprint('answer' in globals())\n```\n"
        "<!-- output -->\n```text\nFalse\n```\n"
    )
    snippets, problems = parse_markdown("page.md", ROOT / "page.md", page)
    assert problems == []
    chains = _chains(snippets)
    assert [[s.line for s in chain] for chain in chains] == [[3, 8], [17]]
    assert [chain[0].mode for chain in chains] == ["offline", "offline"]
    for chain in chains:
        _run(chain)


def test_a_continue_emulator_block_moves_its_chain_to_the_emulator() -> None:
    page = (
        "<!-- run: offline -->\n```python\nx = 1\n```\n\n"
        "<!-- run: continue, emulator -->\n```python\ny = x\n```\n"
    )
    snippets, problems = parse_markdown("page.md", ROOT / "page.md", page)
    assert problems == []
    [chain] = _chains(snippets)
    assert [s.mode for s in chain] == ["offline", "emulator"]
    assert _chain_mode(chain) == "emulator"


def test_the_python_3_9_check_refuses_newer_syntax() -> None:
    with pytest.raises(SyntaxError):
        ast.parse("match command:\n    case 'go':\n        pass\n", feature_version=(3, 9))


def test_the_sign_in_page_lists_every_refusal_with_its_sentence() -> None:
    from workos_sso.integrations._policy import RefusalReason

    page = (ROOT / "docs" / "integrations" / "sign-in.md").read_text(encoding="utf-8")
    rows = {
        cells[0].strip("` "): cells[2].strip()
        for line in page.splitlines()
        if line.startswith("| `") and len(cells := line.strip("|").split("|")) == 3
    }
    for reason in RefusalReason:
        if reason is RefusalReason.APP_REFUSED:
            assert reason.message in rows[reason.value]
        else:
            assert rows[reason.value] == reason.message


def test_the_quickstart_shows_its_seed_file_exactly() -> None:
    # The seed is written out in the page (a reader copies it from there), and the quickstart's
    # snippets run on an emulator seeded from the file: the two must be the same text.
    page = QUICKSTART.read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- seed: (\S+) -->\n```yaml\n(.*?)```\n", page, flags=re.DOTALL)
    assert [path for path, _ in blocks] == [QUICKSTART_SEED.relative_to(ROOT).as_posix()]
    [(_, shown)] = blocks
    assert shown == QUICKSTART_SEED.read_text(encoding="utf-8")


def test_the_quickstart_uses_one_port_variable_for_the_emulator_and_the_client() -> None:
    page = QUICKSTART.read_text(encoding="utf-8")
    commands = "\n".join(re.findall(r"```bash\n(.*?)```", page, flags=re.DOTALL))
    assert re.search(r"^EMULATOR_PORT=\d+$", commands, flags=re.MULTILINE)
    assert '--port "$EMULATOR_PORT"' in commands
    assert 'WORKOS_BASE_URL="http://127.0.0.1:$EMULATOR_PORT"' in commands
    # No other port is written into a command, so changing the variable changes both places.
    assert re.findall(r":\d{4,5}\b|--port \d", commands) == []
