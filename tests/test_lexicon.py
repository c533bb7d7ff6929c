"""The lexicon encoder's grammar: degrees, negation and limits, comparatives, mixed language,
typos, punctuation. Each test asserts the parsed amounts, not just that parsing ran."""

import pytest

from spokenstyle.builtins import vocabulary
from spokenstyle.builtins.lexicon import LEXICON, LexiconEncoder, tokenize

enc = LexiconEncoder()


def amount(prompt, attr):
    return enc.encode(prompt)[attr]


@pytest.mark.parametrize(
    "weak, plain, strong, extreme",
    [
        ("a bit warmer", "warmer", "very warm", "super warm"),
        ("slightly brighter", "brighter", "really bright", "way brighter"),
        ("有点暖", "暖", "很暖", "超级暖"),
        ("稍微亮", "亮", "非常亮", "超级亮"),
        ("暖一点", "更暖", "特别暖", "极其暖"),
    ],
)
def test_degree_words_order_the_amount(weak, plain, strong, extreme):
    attr = "warmth" if ("warm" in plain or "暖" in plain) else "brightness"
    values = [amount(p, attr) for p in (weak, plain, strong, extreme)]
    assert 0 < values[0] < values[1] < values[2] < values[3], values


def test_degree_governs_only_its_own_word():
    intent = enc.encode("very warm and brighter")
    assert intent["warmth"] > intent["brightness"] > 0


def test_postfix_chinese_degree_and_noun_with_direction():
    intent = enc.encode("暖一点，对比度高一点")
    assert intent["warmth"] == pytest.approx(0.5 * vocabulary.PLAIN)
    assert intent["contrast"] == pytest.approx(0.5 * vocabulary.PLAIN)
    assert enc.encode("饱和度低一点")["saturation"] == pytest.approx(-0.5 * vocabulary.PLAIN)
    assert enc.encode("降低饱和度")["saturation"] < 0
    assert enc.encode("提高对比度")["contrast"] > 0


@pytest.mark.parametrize("prompt, attr, sign", [
    ("warmer", "warmth", 1), ("cooler", "warmth", -1), ("更亮", "brightness", 1), ("darker", "brightness", -1),
    ("more contrast", "contrast", 1), ("less contrast", "contrast", -1), ("low contrast", "contrast", -1),
    ("less saturated", "saturation", -1), ("more saturated", "saturation", 1), ("softer", "sharpness", -1),
    ("sharper", "sharpness", 1), ("冷一点", "warmth", -1), ("加点颗粒", "grain", 1), ("暗角", "vignette", 1),
])
def test_comparatives_and_directions(prompt, attr, sign):
    value = amount(prompt, attr)
    assert value * sign > 0, (prompt, value)


def test_not_too_dark_is_a_limit_not_a_negation():
    moody = enc.encode("moody")
    limited = enc.encode("moody but not too dark")
    assert moody["brightness"] < -vocabulary.LIMIT_CAP
    assert limited["brightness"] == pytest.approx(-vocabulary.LIMIT_CAP)
    # the rest of "moody" is kept
    assert limited["contrast"] == moody["contrast"] and limited["vignette"] == moody["vignette"]
    # position does not matter
    assert enc.encode("not too dark, moody").attributes == limited.attributes


@pytest.mark.parametrize("prompt", ["不要太暗", "not too dark", "别太暗", "不太暗"])
def test_a_limit_alone_never_moves_anything(prompt):
    intent = enc.encode(prompt)
    assert intent.changed == {}
    assert intent.understood and not intent.ignored
    assert any("limited" in n for n in intent.notes)


def test_chinese_limit_caps_a_preset():
    intent = enc.encode("来点复古胶片感，别太暖")
    assert 0 < intent["warmth"] <= vocabulary.LIMIT_CAP
    assert intent.medium == "vintage_film"


@pytest.mark.parametrize("prompt", ["vintage film, no grain", "no grain, vintage film", "复古胶片，不要颗粒", "胶片感 without grain"])
def test_negation_removes_what_the_rest_of_the_prompt_adds(prompt):
    intent = enc.encode(prompt)
    assert intent["grain"] == 0.0
    assert intent["fade"] > 0 and intent.medium == "vintage_film"


def test_negated_medium_is_dropped():
    assert enc.encode("no watercolor, warmer").medium is None
    assert enc.encode("不要油画").medium is None


def test_too_x_is_a_complaint_about_the_photo():
    assert amount("太暗了", "brightness") > 0
    assert amount("it's too dark", "brightness") > 0
    assert amount("too warm", "warmth") < 0


def test_keep_the_colours_sets_preserve_color():
    for prompt in ("keep the colours, brighter", "keep the original colors", "保留原来的颜色，亮一点"):
        intent = enc.encode(prompt)
        assert intent.preserve_color, prompt
    assert not enc.encode("brighter").preserve_color


@pytest.mark.parametrize("prompt, medium", [
    ("like an oil painting", "oil_painting"), ("watercolour", "watercolor"), ("pencil sketch", "pencil_sketch"),
    ("水墨", "ink_wash"), ("ink wash", "ink_wash"), ("mosaic", "mosaic"), ("pixel art", "pixel_art"),
    ("pop art", "comic"), ("漫画风", "comic"), ("cyberpunk neon", "neon"), ("赛博朋克", "neon"),
    ("vintage film", "vintage_film"), ("复古胶片", "vintage_film"),
])
def test_media(prompt, medium):
    assert enc.encode(prompt).medium == medium


def test_looks_expand_to_several_attributes():
    dreamy = enc.encode("dreamy")
    assert dreamy["sharpness"] < 0 and dreamy["contrast"] < 0 and dreamy["brightness"] > 0
    assert enc.encode("黑白")["saturation"] == -1.0
    assert enc.encode("black & white")["saturation"] == -1.0
    assert enc.encode("b&w")["saturation"] == -1.0
    assert enc.encode("cinematic").palette


def test_mixed_language_prompt():
    intent = enc.encode("暖一点 and more contrast, 有点 dreamy")
    assert intent["warmth"] > 0 and intent["contrast"] > 0
    assert intent["sharpness"] < 0  # dreamy, scaled by 有点
    assert intent["sharpness"] == pytest.approx(0.5 * enc.encode("dreamy")["sharpness"])
    assert intent.ignored == []


def test_full_width_characters_and_punctuation():
    assert enc.encode("ＷＡＲＭＥＲ！！").attributes == enc.encode("warmer").attributes
    assert enc.encode("暖一点，亮一点。").attributes == enc.encode("暖一点,亮一点").attributes
    # a full-width comma ends a clause: the degree does not leak into the next word
    assert enc.encode("有点暖，亮")["brightness"] == pytest.approx(vocabulary.PLAIN)


def test_typos_are_corrected_and_reported():
    intent = enc.encode("make it warmr and brigter")
    assert intent["warmth"] > 0 and intent["brightness"] > 0
    assert any("'warmr' read as 'warmer'" in n for n in intent.notes)
    assert enc.encode("drak")["brightness"] < 0  # swapped letters in a short word
    assert enc.encode("bold")["contrast"] > 0 and enc.encode("gold")["warmth"] > 0  # real words stay themselves


def test_unknown_words_are_ignored_never_errors():
    intent = enc.encode("warmer please, flibbertigibbet 嘻嘻哈哈")
    assert intent["warmth"] > 0
    assert "flibbertigibbet" in intent.ignored
    assert "嘻嘻哈哈" in intent.ignored
    nothing = enc.encode("zzz qqq")
    assert nothing.changed == {} and nothing.ignored == ["zzz", "qqq"]


@pytest.mark.parametrize("prompt", ["", "   ", None])
def test_empty_prompt_means_no_change(prompt):
    intent = enc.encode(prompt)
    assert intent.is_identity and intent.changed == {}


def test_longest_match_wins_in_chinese():
    tokens, _ = tokenize("不要太暗")
    assert [t.lex.kind for t in tokens] == ["limit", "attr"]
    tokens, _ = tokenize("保留原来的颜色")
    assert [t.lex.kind for t in tokens] == ["flag"]


def test_vocabulary_is_unambiguous_and_non_trivial():
    # building LEXICON raises on a phrase with two meanings; check it is big enough to matter
    assert len(LEXICON) > 500
    kinds = {lex.kind for lex in LEXICON.values()}
    assert {"attr", "noun", "look", "medium", "flag", "degree", "dir", "neg", "limit", "too"} <= kinds


def test_a_look_named_twice_counts_once():
    once = enc.encode("cinematic")
    twice = enc.encode("cinematic, teal and orange")
    assert twice.attributes == once.attributes
    assert any("counted once" in n for n in twice.notes)
    stronger = enc.encode("日系, 超级小清新")
    assert stronger["brightness"] == pytest.approx(2 * enc.encode("日系")["brightness"])


def test_leading_and_trailing_degree_agree_in_chinese():
    intent = enc.encode("稍微亮一点")
    assert intent["brightness"] == pytest.approx(0.5 * vocabulary.PLAIN)
    assert intent.understood == ["稍微亮一点"]
    assert not any("nothing to modify" in n for n in intent.notes)


def test_colloquial_phrases():
    pop = enc.encode("make it pop!")
    assert pop["contrast"] > 0 and pop["saturation"] > 0 and not pop.ignored
    assert enc.encode("like a watercolor painting").medium == "watercolor"
    assert enc.encode("pop art").medium == "comic"
