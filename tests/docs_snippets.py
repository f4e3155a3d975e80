"""Find the snippets in the Markdown docs that show output, and run them as written.

A fenced block shows output when its language is ``console``, ``pycon``, ``text``, ``output``
or ``shell-session``, or when it has a ``$ `` or ``>>> `` prompt line. Each such block must be
run by tests/test_doc_snippets.py, which needs an HTML comment just above it (or above the
Python block it belongs to) saying how:

``<!-- snippet: serve -->`` above a ``python`` block defining ``application``
    The block is saved as ``doc_snippet.py`` in an empty folder and served there with
    ``waitress-serve doc_snippet:application``. The next fenced block is a ``console``
    transcript: each ``$`` command (usually curl) is run by bash and must print what follows
    it, up to the next ``$``.
``<!-- snippet: serve app=MODULE:ATTR -->`` above a ``console`` block
    The same, serving an application the project ships (``examples.health_demo:application``),
    from the project's folder.
``<!-- snippet: server files="a.py b.py" get="/x /y" -->`` above a ``console`` block
    The block's one ``$`` command starts a server in an empty folder holding the named
    files, each the nearest ``python`` block above whose first line is ``# <name>``. Once it
    answers, curl fetches each path of ``get``; the server must then have printed what
    follows the command.
``<!-- snippet: doctest -->`` above a ``pycon`` block
    Run by :mod:`doctest`, with ``ELLIPSIS`` and ``NORMALIZE_WHITESPACE``.
``<!-- snippet: shell port="9090 9091" files="a.py" -->`` above a ``console`` block
    The whole transcript runs in one bash session, in an empty folder holding the named files
    (optional, found as for ``server``) with the project on ``PYTHONPATH``; each ``$`` command
    must print what follows it. After a command run in the background (ending in ``&``) the
    session waits until the port answers; such a command should send its output to a file,
    so that it cannot land amid a later command's. Jobs still running at the end are stopped.
    ``port=`` names the ports the doc shows; every ``:PORT`` becomes a free port of its own, and
    a command run in the background is waited for until every one of them answers.

``serve`` and ``server`` take ``address=HOST:PORT`` (default ``127.0.0.1:9090``): the
address the doc shows, which the test replaces everywhere (files, commands, output) with a
free port of its own. ``serve`` and ``shell`` take ``env="NAME=value ..."``: variables set for
the server and the commands, as the doc's prose says they are. Snippets run without
``DATABASE_URL`` and the ``db_*`` variables, as on a fresh machine.

In shown output, a line holding only ``...`` stands for any number of lines, and these
placeholders for any text within a line: ``<date>``, ``<time>``, ``<timestamp>``,
``<duration>``, ``<hostname>``, ``<version>``, ``<pid>``.
"""

from __future__ import annotations

import dataclasses
import doctest
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

OUTPUT_LANGUAGES = {"console", "pycon", "text", "output", "shell-session"}
PLACEHOLDERS = ("<date>", "<time>", "<timestamp>", "<duration>", "<hostname>", "<version>", "<pid>")
KINDS = {"serve", "server", "doctest", "shell"}
DEFAULT_ADDRESS = "127.0.0.1:9090"
DATABASE_VARIABLES = ("DATABASE_URL", "db_host", "db_username", "db_password", "db_database", "db_port")

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)")
MARKER = re.compile(r"^\s*<!--\s*snippet:\s*(.*?)\s*-->\s*$")


class SnippetError(Exception):
    """A marker that cannot be followed: unknown kind, missing block, bad option."""


@dataclasses.dataclass(frozen=True)
class Block:
    """One fenced block of a Markdown document."""

    document: Path
    line: int
    language: str
    text: str

    @property
    def shows_output(self) -> bool:
        """Whether the block shows what something printed (and so must be run by a test)."""
        if self.language in OUTPUT_LANGUAGES:
            return True
        return any(line.startswith(("$ ", ">>> ")) for line in self.text.splitlines())

    @property
    def first_line(self) -> str:
        """The block's first line, which names it in lists of pending snippets."""
        return self.text.splitlines()[0] if self.text else ""

    @property
    def where(self) -> str:
        """``docs/name.md:line``, for test ids and messages."""
        return f"{self.document.relative_to(ROOT)}:{self.line}"


@dataclasses.dataclass(frozen=True)
class Snippet:
    """A marked snippet: how to run it, its code (if any), the output it promises and its files."""

    kind: str
    options: dict[str, str]
    code: Block | None
    output: Block
    files: dict[str, str]

    @property
    def address(self) -> str:
        """The server address the doc shows."""
        return self.options.get("address", DEFAULT_ADDRESS)


@dataclasses.dataclass
class Document:
    """A parsed document: its blocks, its marked snippets, and what is wrong with its markers."""

    blocks: list[Block]
    snippets: list[Snippet]
    problems: list[str]

    def uncovered(self) -> list[Block]:
        """The blocks that show output but belong to no snippet."""
        covered = {snippet.output for snippet in self.snippets}
        return [block for block in self.blocks if block.shows_output and block not in covered]


def parse(text: str, document: Path) -> Document:
    """The blocks and snippets of the Markdown ``text`` of ``document``."""
    blocks: list[Block] = []
    markers: list[tuple[int, str]] = []  # (index of the next block, the marker's text)
    problems: list[str] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        marker = MARKER.match(lines[index])
        fence = FENCE.match(lines[index])
        if marker:
            markers.append((len(blocks), marker.group(1)))
        elif fence:
            indent, ticks, language = fence.groups()
            end = index + 1
            while end < len(lines) and lines[end].strip() != ticks:
                end += 1
            body = [line.removeprefix(indent) for line in lines[index + 1 : end]]
            blocks.append(Block(document, index + 1, language, "\n".join(body) + "\n" if body else ""))
            index = end
        index += 1
    snippets = []
    for position, marker_text in markers:
        try:
            snippets.append(snippet_at(blocks, position, marker_text, document))
        except SnippetError as error:
            problems.append(f"{document.relative_to(ROOT)}: <!-- snippet: {marker_text} -->: {error}")
    return Document(blocks, snippets, problems)


def snippet_at(blocks: list[Block], position: int, marker_text: str, document: Path) -> Snippet:
    """The snippet whose marker (``marker_text``) stands just before ``blocks[position]``."""
    try:
        kind, *words = shlex.split(marker_text)
    except ValueError as error:
        raise SnippetError(f"cannot read the marker ({error})") from None
    if kind not in KINDS:
        raise SnippetError(f"unknown kind {kind!r}; expected one of {sorted(KINDS)}")
    options = {}
    for word in words:
        key, equals, value = word.partition("=")
        if not equals:
            raise SnippetError(f"expected key=value, got {word!r}")
        options[key] = value
    allowed = {
        "serve": {"app", "address", "env"},
        "server": {"files", "get", "address"},
        "doctest": set(),
        "shell": {"port", "files", "env"},
    }[kind]
    if set(options) - allowed:
        raise SnippetError(
            f"unknown options {sorted(set(options) - allowed)}; {kind} takes {sorted(allowed)}"
        )

    def block(offset: int, languages: set[str]) -> Block:
        if position + offset >= len(blocks):
            raise SnippetError(f"expected a {'/'.join(sorted(languages))} block after the marker")
        found = blocks[position + offset]
        if found.language not in languages:
            raise SnippetError(
                f"expected a {'/'.join(sorted(languages))} block, got {found.language!r} at {found.where}"
            )
        return found

    if kind == "doctest":
        return Snippet(kind, options, None, block(0, {"pycon"}), {})
    if kind == "serve" and "app" not in options:
        return Snippet(kind, options, block(0, {"python"}), block(1, {"console"}), {})
    output = block(0, {"console"})
    files = {}
    if kind == "server":
        if "files" not in options or "get" not in options:
            raise SnippetError("server needs files=... and get=...")
        if len(transcript(output)) != 1:
            raise SnippetError(f"expected one '$ ' command (the server's) at {output.where}")
    ports = options.get("port", "").split()
    if kind == "shell" and not (ports and all(port.isdigit() for port in ports)):
        raise SnippetError("shell needs port=... (the ports its commands use)")
    if kind in ("server", "shell"):
        for name in options.get("files", "").split():
            named = [
                earlier
                for earlier in blocks[:position]
                if earlier.language == "python" and re.match(rf"# {re.escape(name)}\b", earlier.first_line)
            ]
            if not named:
                raise SnippetError(f"no python block above starts with '# {name}'")
            files[name] = named[-1].text
    return Snippet(kind, options, None, output, files)


def read_documents() -> list[Document]:
    """Every document: the README and the guides in docs/."""
    return [parse(path.read_text(), path) for path in DOCUMENTS]


def transcript(block: Block) -> list[tuple[str, str]]:
    """The ``(command, output)`` pairs of a console block."""
    pairs: list[tuple[str, list[str]]] = []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            pairs.append((line[2:], []))
        elif pairs:
            pairs[-1][1].append(line)
        else:
            raise SnippetError(f"{block.where}: output before the first '$ ' command")
    return [(command, "\n".join(output)) for command, output in pairs]


def pattern_of(expected: str) -> re.Pattern[str]:
    """A regular expression for output shown as ``expected``, placeholders and ``...`` lines included."""
    parts = []
    for line in expected.strip("\n").splitlines():
        if line.strip() == "...":
            parts.append(r"(?:[^\n]*\n)*?")
            continue
        pieces = re.split("(" + "|".join(map(re.escape, PLACEHOLDERS)) + ")", line.rstrip())
        parts.append(
            "".join(r"[^\n]+?" if piece in PLACEHOLDERS else re.escape(piece) for piece in pieces) + r"\n"
        )
    return re.compile("".join(parts))


def normalized(output: str) -> str:
    """``output`` as a terminal shows it: LF line ends, no trailing blanks, one final newline."""
    lines = [line.rstrip() for line in output.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip("\n") + "\n" if any(lines) else ""


def assert_shows(expected: str, actual: str, what: str) -> None:
    """Fail, showing both, unless ``actual`` is what the doc shows as ``expected``."""
    if pattern_of(expected).fullmatch(normalized(actual)) is None:
        raise AssertionError(
            f"{what}\n--- the doc shows:\n{expected.strip()}\n--- it printed:\n{actual.rstrip()}"
        )


def environment(extra: str = "") -> dict[str, str]:
    """The environment of a fresh machine: no database configured, this interpreter's tools first.

    Args:
        extra: ``"NAME=value ..."``, variables the doc says are set.
    """
    variables = {key: value for key, value in os.environ.items() if key not in DATABASE_VARIABLES}
    variables["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), variables.get("PATH", "")])
    variables.update(word.split("=", 1) for word in shlex.split(extra))
    return variables


def free_address() -> str:
    """``127.0.0.1:<port>`` for a port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


class Server:
    """A server process whose output is collected as it comes."""

    def __init__(self, command: str, folder: Path, address: str, extra_environment: str = "") -> None:
        self.address = address
        self.process = subprocess.Popen(
            ["bash", "-c", command],
            cwd=folder,
            env=environment(extra_environment),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # one process group: the shell and whatever it started
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_until_answering(self, timeout: float = 30) -> None:
        """Return once the address accepts connections; fail if the process ends or time runs out."""
        host, port = self.address.rsplit(":", 1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                socket.create_connection((host, int(port)), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"the server did not answer on {self.address}:\n{self.output()}")

    def wait_until_quiet(self, quiet: float = 0.5, timeout: float = 10) -> None:
        """Return once the server has printed nothing for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        count, since = len(self.lines), time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - since < quiet:
            time.sleep(0.05)
            if len(self.lines) != count:
                count, since = len(self.lines), time.monotonic()

    def output(self) -> str:
        """What the server printed so far."""
        return "".join(self.lines)

    def stop(self) -> None:
        """SIGTERM the server's process group, then SIGKILL it if it lingers."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.reader.join(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()


@contextmanager
def served(command: str, folder: Path, address: str, extra_environment: str = "") -> Iterator[Server]:
    """A :class:`Server` running ``command`` in ``folder``, stopped afterwards."""
    server = Server(command, folder, address, extra_environment)
    try:
        server.wait_until_answering()
        yield server
    finally:
        server.stop()


def run_command(command: str, folder: Path, extra_environment: str = "") -> str:
    """The standard output of the shell ``command`` run in ``folder``."""
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=folder,
        env=environment(extra_environment),
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.stdout


#: What separates the steps of a shell session's output; no command prints it.
STEP_MARK = "@@doc-snippet-step@@"


def run_session(snippet: Snippet, folder: Path) -> None:
    """Run a ``shell`` snippet's transcript in one bash session; each command must print what follows it."""
    free_ports = {port: free_address().rsplit(":", 1)[1] for port in snippet.options["port"].split()}

    def localized(text: str) -> str:
        for port, free in free_ports.items():
            text = text.replace(f":{port}", f":{free}")
        return text

    for name, text in snippet.files.items():
        (folder / name).write_text(localized(text))
    steps = transcript(snippet.output)
    script = []
    for command, _ in steps:
        script.append(f"echo {STEP_MARK}")
        script.append(localized(command))
        if command.rstrip().endswith("&"):  # wait for the server it started
            for port in free_ports.values():
                script.append(
                    f"for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/{port}) 2>/dev/null && break; "
                    "sleep 0.1; done"
                )
    script.append("kill $(jobs -p) 2>/dev/null; wait")
    variables = environment(snippet.options.get("env", ""))
    variables["PYTHONPATH"] = os.pathsep.join([str(ROOT), variables.get("PYTHONPATH", "")])
    process = subprocess.Popen(
        ["bash", "-c", "\n".join(script)],
        cwd=folder,
        env=variables,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        printed, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    outputs = printed.split(STEP_MARK + "\n")[1:]
    assert len(outputs) == len(steps), f"{snippet.output.where}: the session stopped early:\n{printed}"
    for (command, expected), actual in zip(steps, outputs, strict=True):
        assert_shows(localized(expected), actual, f"{snippet.output.where}: $ {command}")


def run(snippet: Snippet, folder: Path) -> None:
    """Run ``snippet`` as written, in the empty ``folder``; fail unless it prints what the doc shows.

    A doctest runs in this process: the caller makes ``folder`` the working folder and takes
    the database variables out of the environment.
    """
    if snippet.kind == "doctest":
        run_doctest(snippet.output)
        return
    if snippet.kind == "shell":
        run_session(snippet, folder)
        return
    assert shutil.which("curl"), "curl is needed to run the docs' console snippets"
    address = free_address()

    def localized(text: str) -> str:
        return text.replace(snippet.address, address)

    if snippet.kind == "serve":
        if snippet.code is not None:
            (folder / "doc_snippet.py").write_text(snippet.code.text)
            target, cwd = "doc_snippet:application", folder
        else:
            target, cwd = snippet.options["app"], ROOT
        extra = snippet.options.get("env", "")
        with served(f"exec waitress-serve --listen={address} {target}", cwd, address, extra):
            for command, expected in transcript(snippet.output):
                actual = run_command(localized(command), folder, extra)
                assert_shows(localized(expected), actual, f"{snippet.output.where}: $ {command}")
        return
    for name, text in snippet.files.items():
        (folder / name).write_text(localized(text))
    [(command, expected)] = transcript(snippet.output)
    with served(localized(command), folder, address) as server:
        server.wait_until_quiet(quiet=1.0)  # the server's start-up lines, before any request's
        for path in snippet.options["get"].split():
            run_command(f"curl -s -o /dev/null {shlex.quote('http://' + address + path)}", folder)
        server.wait_until_quiet()
        printed = server.output()
    assert_shows(localized(expected), printed, f"{snippet.output.where}: $ {command}")


def run_doctest(block: Block) -> None:
    """Run the ``pycon`` ``block`` with :mod:`doctest`."""
    parser = doctest.DocTestParser()
    test = parser.get_doctest(block.text, {}, block.where, str(block.document), block.line)
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    result = runner.run(test, out=report.append)
    assert result.attempted, f"{block.where}: no '>>>' example in the block"
    assert result.failed == 0, "".join(report)
