"""The ``bounced`` command: a thin skin over the library; each command module registers itself.

Library errors become one line on stderr and a non-zero exit (click.ClickException), never a
traceback.
"""
from __future__ import annotations

import importlib

import click

from bounced import __version__

# one module per family of commands; each exposes register(group)
COMMAND_MODULES = ("parse", "store_cmds", "store_admin", "trust_cmds", "check", "serve", "web", "users")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bounced")
def main() -> None:
    """bounced: turn returned mail into a suppression list."""


for _name in COMMAND_MODULES:
    importlib.import_module(f"bounced.cli.{_name}").register(main)
