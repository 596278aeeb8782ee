"""Keeps the catalogues in step with the code.

    python -m cs_metrics.i18n.check          # what is missing, stale or broken, as .po stubs to fill in

The messages of the code are found without running it: the first argument of every call to `T`,
`_` and `N_` in the package, the `help=` texts and command docstrings of the CLI; and, from the
registry (which imports no pandas), every metric's summary, its options' help and the family names.
The tests fail when a message lacks a translation in a language, when a translation drops or adds a
{placeholder}, or when a catalogue keeps a message the code no longer has."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from cs_metrics.i18n import LANGUAGES, catalog, placeholders

PACKAGE = Path(__file__).resolve().parents[1]
MARKERS = {"T", "_", "N_"}


def _docstring_commands(tree: ast.Module) -> list[str]:
    """Docstrings of the CLI's command functions (their --help text)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and any(
            isinstance(d, ast.Call) and isinstance(d.func, (ast.Name, ast.Attribute)) for d in node.decorator_list
        ):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                out.append(doc)
    return out


def code_messages() -> dict[str, str]:
    """msgid -> where it was found first ('file:line'), plus problems as msgids starting with '!'."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), rel)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name in MARKERS and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.setdefault(arg.value, f"{rel}:{node.lineno}")
                elif isinstance(arg, ast.JoinedStr) or (name == "T" and not isinstance(arg, ast.Name)):
                    found.setdefault(f"!{rel}:{node.lineno}: {name}() needs a constant message id", "")
            if path.name == "cli.py":
                for kw in node.keywords:
                    if kw.arg == "help" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                        found.setdefault(kw.value.value, f"{rel}:{node.lineno}")
        if path.name == "cli.py":
            for doc in _docstring_commands(tree):
                found.setdefault(doc, rel)
    from cs_metrics.metrics import FAMILIES, REGISTRY

    for family in FAMILIES:
        found.setdefault(family, "cs_metrics/metrics/__init__.py (FAMILIES)")
    for spec in REGISTRY.values():
        found.setdefault(spec.summary, f"cs_metrics/metrics/__init__.py ({spec.name})")
        for o in spec.options:  # as the CLI shows it (cli._extra_parameter)
            text = o.help + (f" One of: {', '.join(o.choices)}." if o.choices else "")
            found.setdefault(text, f"cs_metrics/metrics/__init__.py ({spec.name} {o.flag})")
    return found


def needs_translation(msgid: str) -> bool:
    """A message with words (not only placeholders and punctuation)."""
    import re

    return bool(re.search(r"[A-Za-z]", re.sub(r"\{[^{}]*\}", "", msgid)))


def problems(lang: str) -> dict[str, list]:
    """missing: code messages without a translation; placeholders: (msgid, msgstr) whose {fields}
    differ; stale: messages of the catalogue the code no longer has; unused contexts are not checked
    here (labels are checked on real output); duplicates: entries given twice."""
    code = code_messages()
    entries = catalog.read(lang)
    table = catalog.load(lang)
    seen, duplicates = set(), []
    for e in entries:
        k = catalog.key(e)
        if k in seen:
            duplicates.append(k)
        seen.add(k)
    missing = [m for m in code if not m.startswith("!") and needs_translation(m) and m not in table]
    broken = [m[1:] for m in code if m.startswith("!")]
    mismatched = [
        (e["msgid"], e["msgstr"]) for e in entries
        if e["msgstr"] and placeholders(e["msgid"]) != placeholders(e["msgstr"])
    ]  # fmt: skip
    stale = [e["msgid"] for e in entries if e["msgctxt"] is None and e["msgid"] and e["msgid"] not in code]
    return {"missing": missing, "placeholders": mismatched, "stale": stale, "duplicates": duplicates, "not constant": broken}


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def main() -> int:
    code = code_messages()
    bad = 0
    for lang in LANGUAGES[1:]:
        found = problems(lang)
        for kind, items in found.items():
            if not items:
                continue
            bad += len(items)
            print(f"# {lang}.po: {len(items)} {kind}")
            for item in items:
                if kind == "missing":
                    print(f"#: {code[item]}\nmsgid {_quote(item)}\nmsgstr \"\"\n")
                else:
                    print(f"#   {item!r}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
