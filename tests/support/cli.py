"""Support of the `kp` tests: running `kp` in-process as an actor, every command of the tree, hostile inputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from click.testing import CliRunner, Result

from kpledger.cli import cli

PASSWORD = "correct horse battery staple"
HOSTILE = ["", " ", "x" * 40, "é" * 20, "inf", "-inf", "nan", "-1", "0", "1e400", "9" * 400, "0x", "0x" + "zz" * 32,
           "7102.10", "1.234", "BW", "bw", "../../etc/passwd", "\x00", "12:34:56:78", "1:710231:a:b"]


class Kp:
    """Runs `kp` in-process as one actor (its own keystore) against the test server."""

    def __init__(self, runner: CliRunner, api: str, keystore: Path):
        self.runner, self.api, self.keystore = runner, api, keystore

    def run(self, *args: str, json_out: bool = True) -> Result:
        opts = ["--api", self.api, "--keystore", str(self.keystore)] + (["--json"] if json_out else [])
        return self.runner.invoke(cli, [*opts, *args])

    def __call__(self, *args: str) -> dict[str, Any]:
        result = self.run(*args)
        assert result.exit_code == 0, (args, result.output, result.stderr)
        return json.loads(result.stdout)


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            out += all_commands(command, (*prefix, name))
        else:
            out.append((*prefix, name))
    return out


def leaf_commands() -> list[tuple[tuple[str, ...], click.Command]]:
    out = []
    for path in all_commands(cli):
        command: Any = cli
        for name in path:
            command = command.commands[name]
        if path and not isinstance(command, click.Group):
            out.append((path, command))
    return out


def random_args(command: click.Command, chosen: list[str]) -> list[str]:
    """Arguments of `command` filled with `chosen` values, one per parameter (flags left out)."""
    args: list[str] = []
    params = [p for p in command.params if p.name != "help"]
    for param, value in zip(params, chosen, strict=False):
        if isinstance(param, click.Option):
            if param.is_flag:
                continue
            args += [param.opts[0], value]
        elif param.nargs == -1:
            args += [value, value]
        else:
            args.append(value)
    return args


def assert_one_line_refusal(result: Result, context: Any = None) -> None:
    """No traceback; exit 0, 1 (a refusal) or 2 (a usage error); a failure's first line on stderr says what, and it
    is not kp's own bug (InternalError)."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        context, result.exception, result.stderr)
    assert "Traceback" not in result.output + result.stderr, context
    assert result.exit_code in (0, 1, 2), (context, result.exit_code, result.stderr)
    if result.exit_code:
        first = result.stderr.strip().splitlines()[0]
        assert first.startswith(("error ", "Usage:", "Error:")), result.stderr
        assert not first.startswith("error InternalError"), (context, first)  # kp's own bug, said in one line
