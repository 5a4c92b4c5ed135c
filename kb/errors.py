"""Errors of the kb package (subclasses of the one tree in core.errors)."""

from __future__ import annotations

from core.errors import ValidationFailed


class NotAnAnsibleLog(ValidationFailed):
    """The input is not an AWX/Ansible job log."""

    code = "not_an_ansible_log"
