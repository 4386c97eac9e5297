"""The README's Quickstart runs and prints what its comments say it prints."""

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
CODE_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
# A claim is the comment after a print call, up to an explaining ": ".
CLAIM = re.compile(r"^\s*print\(.*\)\s*#\s*(.+?)(?::\s.*)?$")


def quickstart_code():
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Quickstart\n", 1)[1].split("\n## ", 1)[0]
    blocks = CODE_BLOCK.findall(section)
    assert blocks, "the Quickstart has no python code block"
    return "\n".join(blocks)


def test_quickstart_prints_what_its_comments_claim():
    code = quickstart_code()
    claims = [m.group(1).strip() for m in map(CLAIM.match, code.splitlines()) if m]
    printed = []

    def record(*values):
        printed.append(" ".join(str(value) for value in values))

    exec(compile(code, str(README), "exec"), {"print": record})

    assert len(claims) >= 4
    assert printed == claims
