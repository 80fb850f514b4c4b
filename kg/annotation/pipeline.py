"""Stage 2: the spaCy pipeline, built from settings."""

from __future__ import annotations

import spacy
from spacy.language import Language

from kg.annotation import components, titles  # noqa: F401  (registers the kg_* factories)
from kg.annotation.components import TYPE_LABELS
from kg.errors import ConfigError
from kg.resources import DEFAULT_MODEL, Resources, model_install_hint


def make_nlp(resources: Resources, model: str = DEFAULT_MODEL) -> Language:
    """Load `model` (a package name or a path) and add kg's components to it.

    Example:
        >>> from kg.resources import load_resources
        >>> nlp = make_nlp(load_resources())  # doctest: +SKIP
        >>> nlp.pipe_names[-1]  # doctest: +SKIP
        'kg_gazetteer'
    """
    try:
        nlp = spacy.load(model)
    except OSError as exc:
        raise ConfigError(
            f"cannot load the spaCy model {model!r}: {model_install_hint(model)}; "
            f"or pass --model with an installed pipeline ({str(exc).splitlines()[0][:120]})"
        ) from None
    missing = {"parser", "ner"} - set(nlp.pipe_names)
    if missing:
        raise ConfigError(f"the spaCy model {model!r} has no {' or '.join(sorted(missing))}; kg needs both")
    nlp.add_pipe("kg_paragraph_breaks", before="parser")
    phrases = [[a.alias, TYPE_LABELS[a.type]] for a in resources.aliases]
    phrases += [[d, "NORP"] for d in resources.demonyms if " " in d]
    nlp.add_pipe("kg_gazetteer", after="ner", config={"phrases": phrases, "patterns": list(resources.entity_patterns)})
    first_names = sorted(n for n in resources.genders if n not in {h.lower() for h in resources.honorifics})
    organisation_words = sorted(resources.designators | set(resources.organisation_words))
    nlp.add_pipe(
        "kg_titles",
        after="kg_gazetteer",
        config={
            "roles": resources.roles,
            "honorifics": sorted(resources.honorifics),
            "first_names": first_names,
            "organisation_words": organisation_words,
        },
    )
    nlp.add_pipe(
        "kg_name_consistency",
        after="kg_titles",
        config={
            "organisation_words": organisation_words,
            "first_names": first_names,
            "organisation_parts": list(resources.roles.get("organisation_parts", ())),
        },
    )
    return nlp
