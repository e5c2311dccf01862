"""Placeholder: commands registered here are being written."""
import click


def register(group: click.Group) -> None:
    pass
