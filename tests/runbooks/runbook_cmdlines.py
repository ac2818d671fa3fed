"""Helpers for the runbook tests: the command lines runbooks cite, checked against a click tree."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass

import click

FENCE = "```"
OPERATORS = {"|", "||", "&&", ";"}
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_PLACEHOLDER = re.compile(r"[$<]")


@dataclass(frozen=True)
class Cited:
    """One command line found in a runbook, with where it was found."""

    source: str
    line: int
    text: str
    in_block: bool


def code_blocks(markdown: str) -> Iterator[tuple[int, str]]:
    """(line number, logical line) of every fenced code block line; `\\` continuations joined."""
    in_block, pending, start = False, "", 0
    for number, line in enumerate(markdown.splitlines(), start=1):
        if line.strip().startswith(FENCE):
            in_block = not in_block
            continue
        if not in_block:
            continue
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        yield start, pending + line
        pending = ""


def segments(line: str) -> list[list[str]]:
    """A shell line split into simple commands at `|`, `&&`, `||` and `;` (quotes respected)."""
    try:
        tokens = shlex.split(line, comments=True)
    except ValueError:
        return []
    parts: list[list[str]] = [[]]
    for token in tokens:
        if token in OPERATORS:
            parts.append([])
        else:
            parts[-1].append(token)
    return [part for part in parts if part]


def cited_commands(markdown: str, *, program: str, source: str) -> list[Cited]:
    """Every `<program> ...` command in code blocks and inline code spans of a Markdown text."""
    found: list[Cited] = []
    for number, line in code_blocks(markdown):
        for part in segments(line):
            if part[0] == program:
                found.append(Cited(source, number, shlex.join(part), in_block=True))
    in_block = False
    for number, line in enumerate(markdown.splitlines(), start=1):
        if line.strip().startswith(FENCE):
            in_block = not in_block
            continue
        if in_block:
            continue
        for span in _INLINE_CODE.findall(line):
            for part in segments(span):
                if part[0] == program and len(part) > 1:
                    found.append(Cited(source, number, shlex.join(part), in_block=False))
    return found


def _find_option(command: click.Command, name: str) -> click.Option | None:
    for param in command.params:
        if isinstance(param, click.Option) and name in (*param.opts, *param.secondary_opts):
            return param
    return None


def _max_arguments(command: click.Command) -> float:
    total = 0.0
    for param in command.params:
        if isinstance(param, click.Argument):
            total += float("inf") if param.nargs < 0 else param.nargs
    return total


def _check_value(option: click.Option, value: str) -> str | None:
    if _PLACEHOLDER.search(value):
        return None  # a shell variable or <placeholder>: checked by the reader, not here
    try:
        option.type.convert(value, option, None)
    except click.BadParameter as error:
        return f"bad value {value!r} for {option.opts[0]}: {error.message}"
    except Exception:  # noqa: BLE001 - types that need a live context are not checked here
        return None
    return None


def check_command(root: click.Command, argv: list[str]) -> list[str]:
    """Problems of one command line (argv[0] is the program) against the click command tree."""
    problems: list[str] = []
    command, path, positional, index = root, [argv[0]], 0, 1
    while index < len(argv):
        token = argv[index]
        if token.startswith("-") and token != "-":
            name, has_value, value = token.partition("=")
            option = _find_option(command, name)
            if option is None:
                problems.append(f"`{' '.join(path)}` has no option {name}")
                index += 1
                continue
            if option.is_flag or option.count:
                if has_value:
                    problems.append(f"{name} of `{' '.join(path)}` takes no value")
                index += 1
                continue
            if not has_value:
                if index + 1 >= len(argv):
                    problems.append(f"{name} of `{' '.join(path)}` needs a value")
                    break
                value, index = argv[index + 1], index + 1
            problem = _check_value(option, value)
            if problem:
                problems.append(f"`{' '.join(path)}`: {problem}")
            index += 1
            continue
        if isinstance(command, click.Group) and positional == 0:
            sub = command.get_command(click.Context(command, info_name=path[-1]), token)
            if sub is None:
                problems.append(f"`{' '.join(path)}` has no command {token!r}")
                break
            command = sub
            path.append(token)
        else:
            positional += 1
            if positional > _max_arguments(command):
                problems.append(f"`{' '.join(path)}` takes no argument {token!r}")
        index += 1
    else:
        if isinstance(command, click.Group):
            problems.append(f"`{' '.join(path)}` needs a subcommand")
    return problems
