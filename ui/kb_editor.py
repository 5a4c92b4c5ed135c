"""The KB editor (Gradio): search, edit with a live pattern tester, history, promote unmatched failures.

``patchpilot kb-ui`` runs it. Layout and wiring only: handlers live in ``ui.kb_handlers``,
decisions in ``ui.kb_logic``. Every event has an ``api_name`` so ``gradio_client`` can drive it.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from core.settings import get_settings
from ui.client import ApiClient, Credentials, api_url
from ui.kb_handlers import ANY, CATEGORIES, KINDS, KbHandlers, preview
from ui.kb_logic import MAX_PATTERN, MAX_SAMPLE, MAX_SOLUTION, MAX_TITLE, SAMPLE_SEPARATOR
from ui.kb_reports import ENTRY_HEADERS, GROUP_HEADERS

CSS = ".kb-fail { color: #c62828; font-weight: 600; }"
WRAPPER_LABEL = "Wrapper (generic message: loses to a matching cause)"


def build_app(base_url: str) -> gr.Blocks:
    """The editor's Blocks, talking to the API at ``base_url``."""

    def client_for(token: str) -> ApiClient:
        return ApiClient(base_url, Credentials(token=(token or "").strip()[:200] or None))

    h = KbHandlers(client_for)
    with gr.Blocks(title="patchpilot KB editor", analytics_enabled=False) as app:
        gr.Markdown("# patchpilot knowledge base")
        with gr.Row():
            user = gr.Textbox(
                label="API token",
                type="password",
                max_length=200,
                scale=1,
                elem_id="kb-token",
                info="a kb-editor's token (viewers can search); locally: $PATCHPILOT_HOME/demo-tokens.json",
            )
            status = gr.Markdown(elem_id="kb-status")
        with gr.Tabs(selected="entries") as tabs:
            with gr.Tab("Entries", id="entries"):
                with gr.Row():
                    q = gr.Textbox(label="Search", placeholder="slug, title or text", max_length=200, elem_id="kb-q")
                    category_filter = gr.Dropdown([ANY, *CATEGORIES], value=ANY, label="Category")
                    enabled_filter = gr.Dropdown([ANY, "enabled", "disabled"], value=ANY, label="State")
                    kind_filter = gr.Dropdown(
                        list(KINDS),
                        value=ANY,
                        label="Kind",
                        elem_id="kb-kind",
                        info="wrapper: a generic message that loses to a matching cause",
                    )
                    search_btn = gr.Button("Search", variant="primary", elem_id="kb-search")
                search_msg = gr.Markdown(elem_id="kb-search-msg")
                entries = gr.Dataframe(
                    headers=ENTRY_HEADERS, datatype="str", interactive=False, label="Entries", elem_id="kb-entries"
                )
                with gr.Row():
                    open_slug = gr.Textbox(label="Open entry (slug)", max_length=100, elem_id="kb-open-slug")
                    open_btn = gr.Button("Open", elem_id="kb-open")
                    new_btn = gr.Button("New entry", elem_id="kb-new", visible=False)
            with gr.Tab("Match an error", id="match"):
                paste = gr.Textbox(
                    label="Paste an error (a message or a few log lines)",
                    lines=6,
                    max_length=100_000,
                    elem_id="kb-paste",
                )
                match_btn = gr.Button("Which entry matches?", variant="primary", elem_id="kb-match-btn")
                match_out = gr.Markdown(elem_id="kb-match-out")
            with gr.Tab("Edit", id="edit"):
                edit_msg = gr.Markdown(elem_id="kb-edit-msg")
                discard = gr.Checkbox(value=False, label="Discard my unsaved edits", elem_id="kb-discard")
                with gr.Row():
                    slug = gr.Textbox(label="Slug", max_length=100, elem_id="kb-slug")
                    title = gr.Textbox(label="Title", max_length=MAX_TITLE, elem_id="kb-title")
                    category = gr.Dropdown(list(CATEGORIES), value="other", label="Category", elem_id="kb-category")
                    version = gr.Number(label="Loaded version (empty: new)", precision=0, interactive=False)
                with gr.Row():
                    with gr.Column():
                        patterns = gr.Textbox(
                            label="Patterns (RE2, case-insensitive, one per line)",
                            lines=3,
                            max_length=MAX_PATTERN * 5,
                            elem_id="kb-patterns",
                        )
                        match_samples = gr.Textbox(
                            label=f"Must match (samples separated by a line '{SAMPLE_SEPARATOR}')",
                            lines=4,
                            max_length=MAX_SAMPLE,
                            elem_id="kb-match",
                        )
                        no_match_samples = gr.Textbox(label="Must not match", lines=2, max_length=MAX_SAMPLE)
                        test_btn = gr.Button("Test patterns", elem_id="kb-test", visible=False)
                        test_out = gr.Markdown(elem_id="kb-test-out")
                    with gr.Column():
                        solution = gr.Textbox(
                            label="Solution (Markdown)", lines=8, max_length=MAX_SOLUTION, elem_id="kb-solution"
                        )
                        solution_preview = gr.Markdown(label="Preview")
                        modules = gr.Textbox(label="Modules (comma-separated)", max_length=500)
                        references = gr.Textbox(label="References (one URL per line)", lines=2, max_length=5000)
                        with gr.Row():
                            enabled = gr.Checkbox(value=True, label="Enabled")
                            wrapper = gr.Checkbox(
                                value=False,
                                label=WRAPPER_LABEL,
                                elem_id="kb-wrapper",
                                info='e.g. "MODULE FAILURE" or "non-zero return code": an entry naming the cause wins',
                            )
                with gr.Row():
                    with gr.Row(visible=False) as edit_buttons:
                        save_btn = gr.Button("Save", variant="primary", elem_id="kb-save")
                        enable_btn = gr.Button("Enable", elem_id="kb-enable")
                        disable_btn = gr.Button("Disable", variant="stop", elem_id="kb-disable")
                    history_btn = gr.Button("History", elem_id="kb-history")
                save_msg = gr.Markdown(elem_id="kb-save-msg")
                history_out = gr.Markdown(elem_id="kb-history-out")
                with gr.Row(visible=False) as reanalyse_row:
                    job_id = gr.Number(value=None, label="Re-analyse job #", precision=0, elem_id="kb-job")
                    reanalyse_btn = gr.Button("Re-analyse", elem_id="kb-reanalyse")
                    reanalyse_out = gr.Markdown(elem_id="kb-reanalyse-out")
            with gr.Tab("Unmatched failures", id="unmatched"):
                refresh_btn = gr.Button("Refresh", elem_id="kb-unmatched-refresh")
                unmatched_msg = gr.Markdown(elem_id="kb-unmatched-msg")
                groups = gr.Dataframe(headers=GROUP_HEADERS, datatype="str", interactive=False, wrap=True)
                with gr.Row(visible=False) as promote_row:
                    group_no = gr.Number(value=None, label="Group #", precision=0, elem_id="kb-group-no")
                    promote_btn = gr.Button(
                        "Promote to a new entry", variant="primary", elem_id="kb-promote", interactive=False
                    )
        loaded = gr.State(None)  # the editor's values when last opened or saved (unsaved-edit guard)
        armed = gr.State("")  # the slug a first Disable press asked about

        # ui.kb_logic.EDITOR_FIELDS order: the form Save writes, then enabled and the loaded version.
        form = [slug, title, category, patterns, modules, solution, references, match_samples, no_match_samples]
        editor = [*form, wrapper]
        values = [*editor, enabled, version]
        editor_out = [*values, edit_msg, loaded, discard]

        def guarded(load: Any) -> Any:
            """Run ``load`` unless it would lose unsaved edits; then keep the editor and say why."""

            def run(snapshot: Any, drop: bool, *args: Any) -> tuple[Any, ...]:
                current, rest = args[: len(values)], args[len(values) :]
                why = h.unsaved(tuple(current), snapshot, drop)
                if why:
                    return (*current, why, snapshot, drop)
                out = load(*rest)
                return (*out, tuple(out[: len(values)]), False)

            return run

        def signed_in(token: str) -> tuple[Any, ...]:
            rows, found, who, can_edit = h.sign_in(token)
            shown = [gr.update(visible=can_edit) for _ in range(5)]
            return (rows, found, who, *shown)

        edit_controls = [new_btn, test_btn, edit_buttons, reanalyse_row, promote_row]

        def go_edit() -> Any:
            return gr.Tabs(selected="edit")

        signed = [entries, search_msg, status, *edit_controls]
        user.submit(signed_in, [user], signed, api_name="sign_in")
        user.blur(signed_in, [user], signed, api_visibility="undocumented")
        app.load(signed_in, [user], signed, api_visibility="undocumented")
        filters = [user, q, category_filter, enabled_filter, kind_filter]
        search_btn.click(h.search, filters, [entries, search_msg], api_name="search")
        q.submit(h.search, filters, [entries, search_msg], api_visibility="undocumented")
        match_btn.click(h.match_error, [user, paste], match_out, api_name="match_error")
        entries.select(_selected_slug, None, open_slug, api_visibility="undocumented")
        open_btn.click(
            guarded(h.open_entry), [loaded, discard, *values, user, open_slug], editor_out, api_name="open_entry"
        ).then(go_edit, None, tabs, api_visibility="undocumented")
        new_btn.click(guarded(h.new_entry), [loaded, discard, *values], editor_out, api_name="new_entry").then(
            go_edit, None, tabs, api_visibility="undocumented"
        )
        tester = [user, slug, patterns, match_samples, no_match_samples]
        test_btn.click(h.test, tester, test_out, api_name="test_patterns")
        for box in (patterns, match_samples, no_match_samples):
            box.change(
                h.test,
                tester,
                test_out,
                api_visibility="undocumented",
                trigger_mode="always_last",
                show_progress="hidden",
            )
        solution.change(preview, solution, solution_preview, api_visibility="undocumented", show_progress="hidden")

        def save(*args: Any) -> tuple[Any, ...]:
            out = h.save(*args)
            saved = out[-1].startswith("Saved ")
            return (*out[: len(values)], out[-1], tuple(out[: len(values)]) if saved else args[-1])

        save_btn.click(save, [user, *values, loaded], [*values, save_msg, loaded], api_name="save_entry")

        def toggle(token: str, entry: str, asked: str, flag: bool) -> tuple[Any, ...]:
            state, at_version, message, armed_now = h.set_enabled(token, entry, flag, asked)
            unchanged = state is None  # a refusal or the first Disable press: the form keeps its values
            return (
                gr.skip() if unchanged else state,
                gr.skip() if unchanged else at_version,
                message,
                armed_now,
            )

        enable_btn.click(
            lambda u, s, a: toggle(u, s, a, True),
            [user, slug, armed],
            [enabled, version, save_msg, armed],
            api_name="enable",
        )
        disable_btn.click(
            lambda u, s, a: toggle(u, s, a, False),
            [user, slug, armed],
            [enabled, version, save_msg, armed],
            api_name="disable",
        )
        history_btn.click(h.history, [user, slug], history_out, api_name="history")
        reanalyse_btn.click(h.reanalyse, [user, job_id], reanalyse_out, api_name="reanalyse")

        def unmatched(token: str) -> tuple[Any, ...]:
            rows, message, any_group = h.unmatched(token)
            return rows, message, gr.update(interactive=any_group)

        refresh_btn.click(unmatched, [user], [groups, unmatched_msg, promote_btn], api_name="unmatched")
        groups.select(_selected_group, None, group_no, api_visibility="undocumented")
        promote_btn.click(
            guarded(h.promote), [loaded, discard, *values, user, group_no], editor_out, api_name="promote"
        ).then(go_edit, None, tabs, api_visibility="undocumented")
    blocks: gr.Blocks = app
    return blocks


def _selected_slug(evt: gr.SelectData) -> str:
    row = evt.row_value or []
    return str(row[0]) if row else ""


def _selected_group(evt: gr.SelectData) -> int | None:
    row = evt.row_value or []
    return int(row[0]) if row else None


def main(port: int = 7860, host: str = "127.0.0.1") -> None:
    app = build_app(api_url(get_settings()))
    app.queue(default_concurrency_limit=4).launch(
        server_name=host, server_port=port, show_error=False, quiet=True, footer_links=[], css=CSS
    )


if __name__ == "__main__":  # pragma: no cover
    main()
