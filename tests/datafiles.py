"""Small data files that tests write to check publishing: one forum, whole or broken."""

import textwrap

FORUM_ID = "lagringstest-forum"


def write_forum(path, name):
    path.write_text(textwrap.dedent(f"""
        - id: {FORUM_ID}
          typ: Forum
          namn: {name}
          källa: kalla-timra-2020
        """).lstrip(), encoding="utf-8")


def write_broken_forum(path):
    """A YAML syntax error on line 3."""
    path.write_text(f"- id: {FORUM_ID}\n  typ: Forum\n  namn: [trasig\n", encoding="utf-8")
