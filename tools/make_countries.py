"""Write data/countries.csv: the names of the world's countries and territories, with their common
English alternative names.

Source: the JSON files of the PyPI package `countryinfo` 1.0.1 (MIT, Porimol Chandro), one per
country (`name` and `altSpellings`). Codes (GB, GBR) and names in other scripts or languages are
left out: only ASCII names with a lower-case letter.

Run:
    pip download --no-deps countryinfo==1.0.1 -d /tmp/ci
    python tools/make_countries.py /tmp/ci/countryinfo-1.0.1-py3-none-any.whl
"""

from __future__ import annotations

import json
import re
import sys
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "data" / "countries.csv"
_NAME = re.compile(r"[A-Za-z][A-Za-z .'-]*[a-z][A-Za-z .'-]*")


def main(wheel: str) -> None:
    names: set[str] = set()
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            if member.startswith("countryinfo/data/") and member.endswith(".json"):
                data = json.loads(archive.read(member))
                for name in [data.get("name"), *(data.get("altSpellings") or [])]:
                    name = (name or "").strip()
                    if _NAME.fullmatch(name) and "," not in name:
                        names.add(name)
    header = (
        "# Countries and territories by name (written by tools/make_countries.py from the countryinfo\n"
        "# package, MIT). A country is never located_in another place (data/schema.json: subject_not).\n"
    )
    OUT.write_text(header + "name\n" + "".join(f"{n}\n" for n in sorted(names)), encoding="utf-8")
    print(f"wrote {OUT}: {len(names)} names")


if __name__ == "__main__":
    main(sys.argv[1])
