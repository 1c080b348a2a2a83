"""The words of the page at ``/``, in the language asked for.

The page's HTML and JavaScript hold no sentences: they ask ``/page-text.json?language=…`` for
these, translated through the package's catalogue like every other message (so ``make
messages`` and ``tests/test_i18n.py`` keep the page's French complete too).
"""

from __future__ import annotations

from ..i18n import N_, _

__all__ = ["PAGE_TEXT", "page_text"]

PAGE_TEXT = {
    "tagline": N_(
        "Placements and workshops for every student: check a dataset, solve it, download the plan."
    ),
    "language": N_("Language"),
    "token_title": N_("Access token"),
    "token_help": N_("This service needs the token it was started with."),
    "token_label": N_("Token"),
    "token_use": N_("Use"),
    "dataset_title": N_("1. The dataset"),
    "drop_help": N_("Choose or drop a workbook (.xlsx), a zip of CSV files or a JSON dataset."),
    "check": N_("Check the dataset"),
    "col_table": N_("Table"),
    "col_row": N_("Row"),
    "col_column": N_("Column"),
    "col_value": N_("Value"),
    "col_message": N_("Problem"),
    "solve_title": N_("2. Solve"),
    "time_limit": N_("Time limit (seconds)"),
    "seed": N_("Seed"),
    "stable": N_("No justified envy (stable plan)"),
    "solve": N_("Solve"),
    "job_title": N_("3. The job"),
    "status": N_("Status"),
    "col_level": N_("Level"),
    "col_bound": N_("Bound"),
    "stop": N_("Stop and keep the best plan"),
    "downloads_title": N_("Download"),
    "dl_html": N_("Report (web page)"),
    "dl_xlsx": N_("Report (workbook)"),
    "dl_letters": N_("Letters (PDF, zip)"),
    "dl_zip": N_("Plan files (zip)"),
    "dl_json": N_("Result (JSON)"),
    "jobs_title": N_("Earlier jobs"),
    "col_submitted": N_("Submitted"),
    "col_students": N_("Students"),
    "col_plan": N_("Plan"),
    "valid": N_(
        "The dataset is valid: {students} students, {offers} offers, "
        "{workshop_slots} workshop sessions."
    ),
    "problems": N_("Problems to fix before solving: {n}"),
    "refused": N_("Refused: {message}"),
    "checking": N_("Checking…"),
    "submitting": N_("Submitting…"),
    "queued": N_("queued"),
    "running": N_("running"),
    "done": N_("done"),
    "failed": N_("failed"),
    "cancelled": N_("cancelled"),
    "cancelling": N_("stopping…"),
    "phase": N_("last step: {phase}"),
    "parts": N_("{done} of {total} parts solved"),
    "plan_optimal": N_("optimal plan"),
    "plan_feasible": N_("valid plan, not proven optimal"),
    "no_plan": N_("no plan"),
    "show": N_("Show"),
}
"""Key (as the page's ``data-text`` attributes and script use them) → English text."""


def page_text() -> dict[str, str]:
    """Every text of the page in the language in force; placeholders are filled in by the page."""
    return {key: _(text) for key, text in PAGE_TEXT.items()}
