"""`make bench`'s codec section runs, checks that every way it times gives the same answer, and names the fastest."""

from __future__ import annotations

import pytest

from bench import codec


def test_the_codec_section_compares_every_shape(monkeypatch) -> None:
    monkeypatch.setattr(codec, "ROUND_S", 0.0005)
    results = codec.run()
    names = [r.name for r in results]
    assert len(names) == len(set(names)) >= 12
    for r in results:
        assert r.section == "codec" and r.unit == "µs"
        assert r.details["path"] in r.details["us"] and r.ceiling_name in r.details["us"]
        assert r.value == r.details["us"][r.details["path"]] > 0
        others = {w: us for w, us in r.details["us"].items() if w != r.details["path"]}
        assert r.ceiling == min(others.values())
        assert r.passed == (r.value <= codec.WITHIN * r.ceiling)


def test_a_way_that_answers_differently_breaks_the_section() -> None:
    with pytest.raises(AssertionError, match="differs"):
        codec.compare("shape", "a", {"a": lambda: b"\x01", "b": lambda: b"\x02"}, rounds=1)
