"""Prompt templates: files in prompts/, loaded once, with their placeholders checked at start-up."""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import PromptError

# Every template and the placeholders it must contain; a template that lacks one would send the
# model a prompt without the question or the evidence, so it fails at start-up, not mid-chat.
REQUIRED: dict[str, frozenset[str]] = {
    "answer_system": frozenset({"refusal"}),
    "answer_user": frozenset({"evidence", "question", "language_name"}),
    # A worked example shown as an earlier chat turn: the small model follows a demonstrated
    # format far better than a described one, and as a fixed prefix it costs nothing after the
    # first question (llama.cpp reuses the cached prefix).
    "example_user": frozenset(),
    "example_answer": frozenset(),
    "condense": frozenset({"history", "question", "language_name"}),
}


@dataclass(frozen=True, slots=True)
class Prompt:
    """One template; render() fills every placeholder or fails."""

    name: str
    template: string.Template

    def render(self, **values: str) -> str:
        try:
            return self.template.substitute(values).strip()
        except KeyError as exc:
            raise PromptError(f"prompt {self.name!r} needs a value for ${exc.args[0]}") from exc


def _placeholders(template: string.Template) -> set[str]:
    return {
        m.group("named") or m.group("braced")
        for m in template.pattern.finditer(template.template)
        if m.group("named") or m.group("braced")
    }


def load_prompts(folder: Path) -> dict[str, Prompt]:
    """Load and validate every template in REQUIRED from folder (files named NAME.md)."""
    prompts = {}
    for name, needed in REQUIRED.items():
        path = folder / f"{name}.md"
        if not path.is_file():
            raise PromptError(
                f"{path}: prompt template missing. Restore it from the repository "
                "or point ASSISTANT_PROMPTS_DIR at a folder that has it."
            )
        template = string.Template(path.read_text(encoding="utf-8"))
        found = _placeholders(template)
        if missing := needed - found:
            raise PromptError(
                f"{path}: placeholder(s) {', '.join('$' + m for m in sorted(missing))} missing; "
                "add them to the template."
            )
        if unknown := found - needed:
            raise PromptError(
                f"{path}: unknown placeholder(s) {', '.join('$' + u for u in sorted(unknown))}; "
                f"allowed: {', '.join('$' + n for n in sorted(needed))}."
            )
        prompts[name] = Prompt(name, template)
    return prompts
