"""Passwords on command lines: ``--password value`` and the password options of common clients."""

from __future__ import annotations

import re

from .names import _is_secret_text_name
from .spans import _Spans

# --password value -------------------------------------------------------------------------

# The option and its value apart, or as items of a printed list: "--password", "x".
_OPTION = re.compile(
    r"(?<![A-Za-z0-9_.\-])--?(?P<name>[A-Za-z][A-Za-z0-9_.\-]+)(?:[ \t]+|[\"'],[ \t]*(?=[\"']))"
    r"(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^\s\"'\-][^\s\"']*)"
)


def _mask_options(text: str, spans: _Spans, words: tuple[str, ...]) -> None:
    for match in _OPTION.finditer(text):
        if _is_secret_text_name(match["name"], words) and not _is_switch(match["name"]):
            start, end = match.span("value")
            if text[start] in "\"'":
                start, end = start + 1, end - 1
            else:  # to the end of the word, or of the quotes the option stands in
                end = _word_end(text, match.start(), start)
            spans.mask(start, end)


# Password options of well-known clients ----------------------------------------------------

#: A program's options whose value is a password: "value" (all of it), ":" or "%" (after that
#: character: user:password, user%password). From each program's manual page.
_PASSWORD_OPTIONS: dict[str, dict[str, str]] = {
    **{
        program: {"-p": "value"}
        for program in (
            *("mysql", "mysqldump", "mysqladmin", "mysqlimport", "mysqlcheck", "mysqlshow", "mysqlslap"),
            *("mysqlpump", "mysqlbinlog", "mysqlsh", "mycli", "mariadb", "mariadb-dump", "mariadb-admin"),
            *("mariadb-import", "mariadb-check", "mariadb-show", "mariadb-slap", "mariadb-binlog"),
            *("mongo", "mongosh", "mongodump", "mongorestore", "mongoexport", "mongoimport", "mongostat"),
            *("mongotop", "mongofiles", "sshpass", "rabbitmqadmin", "7z", "7za", "7zz", "rar", "unrar"),
        )
    },
    "redis-cli": {"-a": "value"},
    **{
        program: {"-P": "value"}
        for program in ("sqlcmd", "bcp", "osql", "zip", "mosquitto_pub", "mosquitto_sub")
    },
    **{
        program: {"-w": "value"}
        for program in ("ldapsearch", "ldapmodify", "ldapadd", "ldapdelete", "ldapwhoami", "ldapcompare")
    },
    "ldappasswd": {"-w": "value", "-s": "value", "-a": "value"},
    "ssh-keygen": {"-N": "value", "-P": "value"},
    "curl": {"-u": ":", "--user": ":", "-U": ":", "--proxy-user": ":"},
    **{program: {"-U": "%", "--user": "%"} for program in ("smbclient", "rpcclient")},
}
#: Programs whose first argument that is no option is a logon, ``user/password@database``: Oracle's
#: (SQL*Plus, SQLcl, RMAN, Data Guard, Data Pump and SQL*Loader manuals). ``/ as sysdba`` holds none.
_LOGON_PROGRAMS = frozenset({"sqlplus", "sqlcl", "rman", "dgmgrl", "expdp", "impdp", "sqlldr"})
#: Options that take a password only after a subcommand (``docker login -p``; ``docker run -p`` is a port).
_SUBCOMMAND_PASSWORD_OPTIONS: dict[tuple[str, str], dict[str, str]] = {
    (program, "login"): {"-p": "value"} for program in ("docker", "podman", "nerdctl", "buildah", "oras")
}
_PROGRAMS = (
    frozenset(_PASSWORD_OPTIONS) | _LOGON_PROGRAMS | {program for program, _ in _SUBCOMMAND_PASSWORD_OPTIONS}
)
# The first words of flags that take no value: --no-password, --ask-pass, --without-auth.
_SWITCH_WORDS = ("no", "ask", "without", "skip")
_NOT_SPACE = re.compile(r"\S*")
# How far a quoted password is looked for its closing quote: a password is short, a line may not be.
_LONGEST_QUOTED = 256
_FLAG = re.compile(r"-{1,2}[A-Za-z_][\w.\-]*")
# In a command line: one argument, unquoted, without the commas and brackets of a printed list.
_ARGUMENT = re.compile(r"[^\s'\",\[\]();|&]+")
_COMMAND_END = re.compile(r"[\n;|&\])]")


class _Arguments:
    """Reads a program's arguments one by one and says which to mask (rule 2: password options)."""

    def __init__(self, words: tuple[str, ...]) -> None:
        self.words = words
        self.program = ""
        self.options: dict[str, str] = {}
        self.pending = ""
        self.is_logon_next = False

    def read(self, argument: str) -> tuple[int, int] | None:
        """Take the next argument; return the part of it to mask, if any."""
        pending, self.pending = self.pending, ""
        if pending and not argument.startswith("-"):
            return _masked_part(argument, pending)
        program = argument.rpartition("/")[2]
        if program in _PROGRAMS:
            self.program, self.options = program, _PASSWORD_OPTIONS.get(program, {})
            self.is_logon_next = program in _LOGON_PROGRAMS
            return None
        if self.is_logon_next and not argument.startswith("-"):
            self.is_logon_next = False
            return _logon_password(argument)
        if (self.program, argument) in _SUBCOMMAND_PASSWORD_OPTIONS:
            self.options = _SUBCOMMAND_PASSWORD_OPTIONS[(self.program, argument)]
            return None
        if not argument.startswith("-"):
            return None
        if argument in self.options:
            self.pending = self.options[argument]
            return None
        attached = self.options.get(argument[:2]) if not argument.startswith("--") else None
        if attached is not None and len(argument) > 2:  # -phunter2
            part = _masked_part(argument[2:], attached)
            return None if part is None else (part[0] + 2, part[1] + 2)
        if (
            "=" not in argument
            and _FLAG.fullmatch(argument)
            and _is_secret_text_name(argument, self.words)
            and not _is_switch(argument)
        ):
            self.pending = "value"
        return None


def _is_switch(flag: str) -> bool:
    """Whether ``flag`` says not to use a secret, or to ask for it (``--no-password``): it takes no value."""
    name = flag.lstrip("-").lower()
    return any(
        name.startswith(word) and name[len(word) : len(word) + 1] in ("-", "_") for word in _SWITCH_WORDS
    )


def _logon_password(argument: str) -> tuple[int, int] | None:
    """The password of ``user/password@database`` (or ``user/password``)."""
    slash = argument.find("/")
    if slash <= 0:
        return None  # "/ as sysdba", "/nolog": the operating system's logon, no password
    at = argument.rfind("@")
    end = at if at > slash else len(argument)
    return (slash + 1, end) if end > slash + 1 else None


def _masked_part(argument: str, kind: str) -> tuple[int, int] | None:
    if kind == "value":
        return (0, len(argument)) if argument else None
    separator = argument.find(kind)
    return (separator + 1, len(argument)) if 0 <= separator < len(argument) - 1 else None


def _mask_commands(text: str, spans: _Spans, words: tuple[str, ...]) -> None:
    """The password options of a client's command line written in text, up to the command's end. A
    password runs to the end of its shell word, or of its quotes in a printed list."""
    arguments: _Arguments | None = None
    command_end = -1
    masked_to = 0
    for match in _ARGUMENT.finditer(text):
        if match.start() < masked_to:
            continue  # inside a password already masked
        argument = match[0]
        if match.start() > command_end:
            arguments = None
            if argument.rpartition("/")[2] not in _PROGRAMS:
                continue
            terminator = _COMMAND_END.search(text, match.end())
            command_end = len(text) if terminator is None else terminator.start()
            arguments = _Arguments(words)
        if arguments is not None:
            part = arguments.read(argument)
            if part is not None:
                start, end = match.start() + part[0], match.start() + part[1]
                if end == match.end():
                    end = _word_end(text, match.start(), end)
                spans.mask(start, end)
                masked_to = end


def _word_end(text: str, start: int, end: int) -> int:
    """The end of the password that the argument at ``start`` holds from ``end`` on: its closing quote
    if a quote stands before the argument (a printed list, a quoted command), else the end of its
    shell word, less closing quotes and brackets at its end (``"--password x"}``)."""
    before = text[start - 1 : start]
    if before in ("'", '"'):
        region = text[end : end + _LONGEST_QUOTED].split("\n", 1)[0]
        closing = region.find(before)
        if closing >= 0:
            return end + closing
    word_end = _NOT_SPACE.match(text, end).end()  # type: ignore[union-attr]
    word = text[end:word_end]
    kept = word.rstrip("\"')]},;")
    return end + len(kept) if kept and any(quote in word[len(kept) :] for quote in "\"'") else word_end
