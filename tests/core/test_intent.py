import json

import pytest

from spokenstyle import ATTRIBUTES, EMBEDDING_DIM, MEDIA, StyleIntent, UsageError
from spokenstyle.builtins.lexicon import LexiconEncoder


def test_defaults_fill_every_attribute_with_zero():
    intent = StyleIntent()
    assert list(intent.attributes) == list(ATTRIBUTES)
    assert all(v == 0.0 for v in intent.attributes.values())
    assert intent.is_identity
    assert len(intent.embedding) == EMBEDDING_DIM


def test_amounts_are_clamped_and_unknown_attributes_rejected():
    assert StyleIntent(attributes={"warmth": 3.0})["warmth"] == 1.0
    assert StyleIntent(attributes={"contrast": -7})["contrast"] == -1.0
    with pytest.raises(UsageError, match="unknown attribute.*warmthh"):
        StyleIntent(attributes={"warmthh": 0.2})


@pytest.mark.parametrize("bad", [{"strength": 1.5}, {"strength": -0.1}, {"palette": ["red"]}, {"embedding": [0.0] * 3}])
def test_invalid_fields_are_usage_errors(bad):
    with pytest.raises(UsageError):
        StyleIntent(**bad)


@pytest.mark.parametrize("prompt", ["来点复古胶片感，别太暗", "make it warmer, kinda dreamy, keep the colours", "", "oil painting, no grain"])
def test_json_round_trip(prompt):
    intent = LexiconEncoder().encode(prompt)
    text = intent.to_json()
    back = StyleIntent.from_json(text)
    assert back == intent
    assert json.loads(text)["version"] == 1


def test_json_round_trip_keeps_a_custom_embedding_exactly():
    emb = [i / 7 for i in range(EMBEDDING_DIM)]
    intent = StyleIntent(attributes={"warmth": 0.3}, embedding=emb)
    assert StyleIntent.from_json(intent.to_json()).embedding == emb


def test_from_json_rejects_garbage():
    with pytest.raises(UsageError, match="malformed"):
        StyleIntent.from_json("{not json")
    with pytest.raises(UsageError, match="unknown field"):
        StyleIntent.from_dict({"attributes": {}, "colour": 1})


def test_embedding_is_deterministic_and_reflects_the_intent():
    enc = LexiconEncoder()
    a, b = enc.encode("warmer, oil painting"), enc.encode("warmer, oil painting")
    assert a.embedding == b.embedding
    assert a.embedding[ATTRIBUTES.index("warmth")] == pytest.approx(a["warmth"])
    assert a.embedding[len(ATTRIBUTES) + MEDIA.index("oil_painting")] == 1.0
    c = enc.encode("cooler, watercolor")
    assert c.embedding != a.embedding
    assert len(c.embedding) == EMBEDDING_DIM


def test_describe_names_the_changes_the_medium_and_ignored_words():
    intent = LexiconEncoder().encode("warmer, pencil sketch, flibbertigibbet")
    text = intent.describe()
    assert "warmth +0.40" in text
    assert "medium: pencil sketch" in text
    assert "ignored: 'flibbertigibbet'" in text
    assert str(intent) == text


def test_replace_recomputes_the_embedding():
    intent = StyleIntent(attributes={"warmth": 0.4})
    other = intent.replace(attributes={"warmth": -0.4})
    assert other.embedding[0] == -0.4 and intent.embedding[0] == 0.4
