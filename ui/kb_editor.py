"""The KB editor (Gradio): search, edit with a live pattern tester, history, promote unmatched failures.

``patchpilot kb-ui`` runs it. Layout and wiring only: handlers live in ``ui.kb_handlers``,
decisions in ``ui.kb_logic``. Every event has an ``api_name`` so ``gradio_client`` can drive it.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from core.settings import get_settings
from ui.client import ApiClient, Credentials, api_url
from ui.kb_handlers import ANY, CATEGORIES, KbHandlers, preview
from ui.kb_logic import ENTRY_HEADERS, GROUP_HEADERS, MAX_PATTERN, MAX_SAMPLE, MAX_SOLUTION, MAX_TITLE, SAMPLE_SEPARATOR


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
                    search_btn = gr.Button("Search", variant="primary", elem_id="kb-search")
                entries = gr.Dataframe(headers=ENTRY_HEADERS, datatype="str", interactive=False, label="Entries")
                with gr.Row():
                    open_slug = gr.Textbox(label="Open entry (slug)", max_length=100, elem_id="kb-open-slug")
                    open_btn = gr.Button("Open", elem_id="kb-open")
                    new_btn = gr.Button("New entry", elem_id="kb-new")
            with gr.Tab("Edit", id="edit"):
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
                        test_btn = gr.Button("Test patterns", elem_id="kb-test")
                        test_out = gr.Markdown(elem_id="kb-test-out")
                    with gr.Column():
                        solution = gr.Textbox(
                            label="Solution (Markdown)", lines=8, max_length=MAX_SOLUTION, elem_id="kb-solution"
                        )
                        solution_preview = gr.Markdown(label="Preview")
                        modules = gr.Textbox(label="Modules (comma-separated)", max_length=500)
                        references = gr.Textbox(label="References (one URL per line)", lines=2, max_length=5000)
                        enabled = gr.Checkbox(value=True, label="Enabled")
                with gr.Row():
                    save_btn = gr.Button("Save", variant="primary", elem_id="kb-save")
                    enable_btn = gr.Button("Enable", elem_id="kb-enable")
                    disable_btn = gr.Button("Disable", variant="stop", elem_id="kb-disable")
                    history_btn = gr.Button("History", elem_id="kb-history")
                history_out = gr.Markdown(elem_id="kb-history-out")
                with gr.Row():
                    job_id = gr.Number(value=None, label="Re-analyse job #", precision=0, elem_id="kb-job")
                    reanalyse_btn = gr.Button("Re-analyse", elem_id="kb-reanalyse")
                    reanalyse_out = gr.Markdown(elem_id="kb-reanalyse-out")
            with gr.Tab("Unmatched failures", id="unmatched"):
                refresh_btn = gr.Button("Refresh", elem_id="kb-unmatched-refresh")
                groups = gr.Dataframe(headers=GROUP_HEADERS, datatype="str", interactive=False, wrap=True)
                with gr.Row():
                    group_no = gr.Number(value=None, label="Group #", precision=0, elem_id="kb-group-no")
                    promote_btn = gr.Button("Promote to a new entry", variant="primary", elem_id="kb-promote")

        editor = [slug, title, category, patterns, modules, solution, references, match_samples, no_match_samples]
        editor_out = [*editor, enabled, version, status]

        def go_edit() -> Any:
            return gr.Tabs(selected="edit")

        search_btn.click(h.search, [user, q, category_filter, enabled_filter], [entries, status], api_name="search")
        q.submit(h.search, [user, q, category_filter, enabled_filter], [entries, status], api_visibility="undocumented")
        entries.select(_selected_slug, None, open_slug, api_visibility="undocumented")
        open_btn.click(h.open_entry, [user, open_slug], editor_out, api_name="open_entry").then(
            go_edit, None, tabs, api_visibility="undocumented"
        )
        new_btn.click(h.new_entry, None, editor_out, api_name="new_entry").then(
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
        save_btn.click(h.save, [user, *editor, enabled, version], editor_out, api_name="save_entry")
        enable_btn.click(
            lambda u, s: h.set_enabled(u, s, True), [user, slug], [enabled, version, status], api_name="enable"
        )
        disable_btn.click(
            lambda u, s: h.set_enabled(u, s, False), [user, slug], [enabled, version, status], api_name="disable"
        )
        history_btn.click(h.history, [user, slug], history_out, api_name="history")
        reanalyse_btn.click(h.reanalyse, [user, job_id], reanalyse_out, api_name="reanalyse")
        refresh_btn.click(h.unmatched, [user], [groups, status], api_name="unmatched")
        groups.select(_selected_group, None, group_no, api_visibility="undocumented")
        promote_btn.click(h.promote, [user, group_no], editor_out, api_name="promote").then(
            go_edit, None, tabs, api_visibility="undocumented"
        )
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
        server_name=host, server_port=port, show_error=False, quiet=True, footer_links=[]
    )


if __name__ == "__main__":  # pragma: no cover
    main()
