"""Writes the credentials file Rasa is served with: credentials.yml (REST and socket.io), plus
each channel of channels/optional/ whose environment variables are all set.

The secrets stay in the environment: the file keeps the `${...}` references, which Rasa
expands when it reads it. A channel with a variable missing is left out, not half-configured.

    python -m channels.credentials build/credentials.yml
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Dict, List, Mapping, Tuple

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "credentials.yml"
OPTIONAL = Path(__file__).resolve().parent / "optional"
_VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)\}")


def optional_channels() -> Dict[str, str]:
    return {path.stem: path.read_text(encoding="utf-8") for path in sorted(OPTIONAL.glob("*.yml"))}


def compose(environment: Mapping[str, str]) -> Tuple[str, List[str]]:
    """The credentials text and the optional channels it enables."""
    parts, enabled = [BASE.read_text(encoding="utf-8")], []
    for name, text in optional_channels().items():
        if all(environment.get(variable) for variable in _VARIABLE.findall(text)):
            parts.append(text)
            enabled.append(name)
    return "\n".join(part.rstrip() + "\n" for part in parts), enabled


def main(argv: List[str]) -> int:
    target = Path(argv[1]) if len(argv) > 1 else ROOT / "build" / "credentials.yml"
    text, enabled = compose(os.environ)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"Channels: rest, socketio{''.join(', ' + name for name in enabled)} ({target})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
