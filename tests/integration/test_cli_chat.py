"""``patchpilot chat`` in a terminal: token sign-in, confirm (typing the count when risky), follow, explain."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from core.settings import Settings
from tests.integration.ui_api_server import serve_api

pytestmark = [pytest.mark.integration]


def _app():  # type: ignore[no-untyped-def]
    import typer

    from cli.chat import chat_command

    app = typer.Typer()
    app.command()(chat_command)
    return app


@pytest.mark.scenario(hosts={"web-stg-02": {"outcome": "failed", "family": "dnf-no-space-left"}})
def test_token_confirm_follow_and_explain_against_the_api(
    awx_settings: Settings, worker: object, demo_tokens: dict[str, str]
) -> None:
    from core.db import connect
    from kb.entries import SEED_PATH, import_file

    with connect(awx_settings.db.url or "") as conn:
        import_file(conn, SEED_PATH, "test")
        conn.commit()
    script = "\n".join(
        [
            "patch db-prod-01",
            "confirm",
            "0",  # the wrong host count: a high-risk proposal is not confirmed
            "patch web-stg-01 and web-stg-02, never reboot",
            "confirm",
            "follow",
            "explain",
            "quit",
        ]
    )
    with serve_api(awx_settings) as port:
        result = CliRunner().invoke(
            _app(),
            ["--api", f"http://127.0.0.1:{port}/api/v1"],
            input=script + "\n",
            env={"PATCHPILOT_TOKEN": demo_tokens["operator"]},
        )
    out = result.output
    assert result.exit_code == 0, out
    assert "signed in as operator (operator)" in out
    assert "[HIGH RISK] High risk: 1 prod host" in out
    assert "not confirmed: the count did not match; nothing was queued" in out
    assert "(token " not in out
    assert "is queued for web-stg-01, web-stg-02" in out
    assert "finished: 1 of 2 host(s) need attention." in out
    assert "1 patched · 1 failed" in out
    assert "Known fix:" in out and "    | " in out  # the failure's output keeps its lines


def test_a_bad_token_is_refused_plainly(awx_settings: Settings) -> None:
    with serve_api(awx_settings) as port:
        result = CliRunner().invoke(_app(), ["--api", f"http://127.0.0.1:{port}", "--token", "pp_wrong"], input="")
    assert result.exit_code == 2 and "cannot sign in at" in result.output


def test_without_the_api_it_proposes_from_the_default_inventory() -> None:
    result = CliRunner().invoke(_app(), [], input="patch web-stg-01\nconfirm\nquit\n")
    assert result.exit_code == 0, result.output
    assert "PATCHPILOT_JOBS__INVENTORY_PATH" not in result.output
    assert "Please confirm: patch on 1 host(s)" in result.output
    assert "in-process mode shows proposals only" in result.output
