"""The lexicon encoder's grammar: degrees, negation and limits, comparatives, mixed language,
typos, punctuation. Each test asserts the parsed amounts, not just that parsing ran."""

import json

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
        ("暖一点", "暖", "暖得很", "暖极了"),  # degrees after the word: 得很, 极了
        ("亮一些", "亮", "亮得很", "亮得不行"),
    ],
)
def test_degree_words_order_the_amount(weak, plain, strong, extreme):
    attr = "warmth" if ("warm" in plain or "暖" in plain) else "brightness"
    values = [amount(p, attr) for p in (weak, plain, strong, extreme)]
    assert 0 < values[0] < values[1] < values[2] < values[3], values


def test_postfix_intensifiers_match_their_prefix_forms():
    assert amount("暖得很", "warmth") == amount("很暖", "warmth")
    assert amount("对比度高得很", "contrast") == amount("对比度很高", "contrast") > amount("对比度高", "contrast")
    assert amount("饱和度低得要命", "saturation") < amount("饱和度低得很", "saturation") < amount("饱和度低", "saturation") < 0


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


# ------------------------------------------------------------------ the grammar of issue 11
from spokenstyle.builtins import hanzi  # noqa: E402
from spokenstyle.builtins.lexicon import parse, suggest  # noqa: E402


def test_traditional_chinese_is_understood_like_simplified():
    trad = enc.encode("暖一點，對比度高一點")
    assert trad.attributes == enc.encode("暖一点，对比度高一点").attributes
    assert trad["warmth"] > 0 and trad["contrast"] > 0 and trad.ignored == []
    assert enc.encode("復古膠片感").medium == "vintage_film"
    assert enc.encode("不要那麼鮮豔")["saturation"] < 0


def test_hanzi_table_covers_the_vocabulary_and_never_rewrites_a_simplified_word():
    vocab = open(vocabulary.__file__, encoding="utf-8").read()
    assert not set(hanzi.TRAD_TO_SIMP) & set(vocab)  # a simplified word of the vocabulary stays as it is
    assert len(hanzi.TRAD_TO_SIMP) > 300
    assert hanzi.to_simplified("對比度飽和度顏色鮮豔溫暖膚色過曝") == "对比度饱和度颜色鲜艳温暖肤色过曝"


@pytest.mark.parametrize("prompt, attr, sign", [
    ("not so dark", "brightness", 1), ("没那么暗", "brightness", 1), ("不要那么鲜艳", "saturation", -1),
    ("别那么暖", "warmth", -1), ("not as bright", "brightness", -1), ("对比度太高了", "contrast", -1),
    ("颜色不要那么艳", "saturation", -1),
])
def test_not_so_x_reduces_relative_to_the_photo(prompt, attr, sign):
    intent = enc.encode(prompt)
    assert intent[attr] * sign > 0, intent.describe()
    assert not intent.ignored


def test_degree_after_the_word_and_as_an_afterthought():
    plain = amount("warmer", "warmth")
    assert 0 < amount("warmer, a bit", "warmth") < plain
    assert amount("warmer, a bit", "warmth") == amount("a bit warmer", "warmth")
    assert amount("warmer, a lot", "warmth") > plain
    # an afterthought replaces the degree: "暖一些吧，一点点就好" is weaker than 暖一些
    assert 0 < amount("暖一些吧，一点点就好", "warmth") < amount("暖一些", "warmth")
    limited = enc.encode("brighter, not too much")
    assert 0 < limited["brightness"] <= vocabulary.LIMIT_CAP


def test_protective_clauses_protect_instead_of_removing():
    intent = enc.encode("提亮，但不要过曝")
    assert intent["brightness"] > 0 and intent["exposure"] == 0
    assert intent.protect == ["highlights"]
    assert "protect: highlights" in intent.describe()
    for prompt, region in [("brighter but don't blow out the highlights", "highlights"), ("keep the highlights", "highlights"),
                           ("压暗，别死黑", "shadows"), ("保留肤色", "skin"), ("skin tones intact", "skin"),
                           ("高光别过曝", "highlights"), ("keep the shadows", "shadows")]:
        got = enc.encode(prompt)
        assert got.protect == [region], (prompt, got.describe())
        assert not got.ignored, prompt
    assert enc.encode("overexposed")["exposure"] > 0  # a hazard word alone is still that look
    held = enc.encode("brighter, keep the contrast")
    assert held["contrast"] == 0 and held["brightness"] > 0


def test_comparatives_superlatives_and_compound_looks():
    moody, dreamy = enc.encode("moody"), enc.encode("dreamy")
    assert enc.encode("moodier").attributes == moody.attributes
    assert enc.encode("dreamier").attributes == dreamy.attributes
    assert enc.encode("the moodiest")["brightness"] < moody["brightness"] < 0
    assert enc.encode("more filmic")["contrast"] > 0
    sunny = enc.encode("sunnier")
    assert sunny["warmth"] > 0 and sunny["brightness"] > 0
    assert enc.encode("no color at all")["saturation"] == -1.0
    assert enc.encode("没有颜色")["saturation"] == -1.0
    # a colour noun next to a look word only names what it changes
    assert enc.encode("warm colours")["saturation"] == 0.0
    assert enc.encode("颜色淡一点")["saturation"] < 0


def test_emoji_are_read_or_reported():
    assert enc.encode("☀️").attributes == enc.encode("sunny").attributes
    assert enc.encode("🌙")["brightness"] < 0
    intent = enc.encode("warmer 🦖")
    assert intent["warmth"] > 0 and intent.ignored == ["🦖"]


def test_verbs_of_change():
    assert amount("tone down the saturation", "saturation") < 0
    assert amount("crank up the contrast", "contrast") > 0
    assert amount("brighten up", "brightness") > 0
    assert amount("降饱和", "saturation") < 0
    assert amount("调暖", "warmth") > 0 and amount("压暗", "brightness") < 0
    # in English a direction after an adjective belongs to the next word
    intent = enc.encode("brighter less saturated")
    assert intent["brightness"] > 0 and intent["saturation"] < 0


def test_did_you_mean_suggestions_reach_the_intent_json_and_describe():
    intent = enc.encode("warmer, cinematc-ish vibe, 胶卷")
    # the typo is corrected (and said so), not ignored; the unknown 胶卷 gets suggestions
    assert "'cinematc' read as 'cinematic' (typo)" in intent.notes
    assert "cinematic" in intent.understood and intent.ignored == ["胶卷"]
    intent = enc.encode("more filmish")
    assert intent.suggestions == {"filmish": suggest(["filmish"])["filmish"]}
    assert "filmic" in intent.suggestions["filmish"]
    assert "did you mean: 'filmish' -> " in intent.describe()
    assert json.loads(intent.to_json())["suggestions"] == intent.suggestions
    assert "胶片" in suggest(["胶卷"])["胶卷"]
    assert suggest(["zzzq"]) == {}


def test_parse_and_resolve_are_separate_steps():
    tokens, _ = tokenize("不要那么鲜艳，warmer, a bit")
    clauses, ignored = parse(tokens)
    terms = [t for c in clauses for t in c.terms]
    assert [t.mode for t in terms] == ["reduce", "add"]
    assert terms[1].degree == 0.5 and ignored == []


# ------------------------------------------------------------------ complaints (issue 25)
@pytest.mark.parametrize("prompt, attr, sign", [
    # English: a copula before the state word ("it's X", "X is ...", "is overexposed")
    ("the photo is overexposed", "exposure", -1), ("it's blown out", "exposure", -1),
    ("the highlights are blown", "exposure", -1), ("it's a bit underexposed", "exposure", 1),
    ("it is a little dark", "brightness", 1), ("it's looking dark", "brightness", 1),
    ("it's oversaturated", "saturation", -1), ("it's all washed out", "saturation", 1),
    ("the contrast is low", "contrast", 1), ("it's high contrast", "contrast", -1),
    ("the photo came out dark", "brightness", 1), ("it's getting cold", "warmth", 1),
    ("too saturated", "saturation", -1), ("too cold", "warmth", 1),
    # simplified Chinese: a clause-final 了 after the state word, or 太 ... 了
    ("过曝了", "exposure", -1), ("有点过曝了", "exposure", -1), ("欠曝了", "exposure", 1),
    ("颜色淡了", "saturation", 1), ("饱和度高了", "saturation", -1), ("太艳了", "saturation", -1),
    ("太冷了", "warmth", 1), ("偏暖了", "warmth", -1), ("有点暗了吧", "brightness", 1), ("高光爆了", "exposure", -1),
    ("亮过头了", "brightness", -1),
    # traditional Chinese
    ("過曝了", "exposure", -1), ("顏色太豔了", "saturation", -1), ("對比度高了", "contrast", -1), ("偏藍了", "warmth", 1),
    # Cantonese: 咗 like 了, 得滯 (too much) after the word, 太 ... 喇
    ("過曝咗", "exposure", -1), ("暗咗", "brightness", 1), ("光得滯", "brightness", -1), ("凍得滯", "warmth", 1),
    ("太光喇", "brightness", -1), ("太暗喇", "brightness", 1),
])
def test_a_complaint_moves_away_from_the_state_it_names(prompt, attr, sign):
    intent = enc.encode(prompt)
    assert intent[attr] * sign > 0, intent.describe()
    assert not intent.ignored, intent.ignored
    assert any("is a complaint" in n for n in intent.notes), intent.notes


@pytest.mark.parametrize("prompt, attr, sign", [
    ("make it brighter", "brightness", 1), ("亮一点", "brightness", 1), ("it should be brighter", "brightness", 1),
    ("make it look dark", "brightness", -1), ("overexposed", "exposure", 1), ("过曝", "exposure", 1),
    ("调暗了", "brightness", -1),  # a verb of editing with 了 reports the edit, it is no state
    ("暖一点了", "warmth", 1),  # 了 after a degree: not a state
    ("暗了一点", "brightness", -1),  # 了 not at the end of the clause
    ("暗啲", "brightness", -1), ("it's nice, just a bit warmer", "warmth", 1),
    ("it's nice just a bit warmer", "warmth", 1),  # "nice" ends the description before "warmer"
])
def test_requests_are_not_complaints(prompt, attr, sign):
    intent = enc.encode(prompt)
    assert intent[attr] * sign > 0, intent.describe()
    assert not any("is a complaint" in n for n in intent.notes), intent.notes


def test_the_complaint_note_names_the_word_and_the_direction():
    assert "'过曝' is a complaint: exposure down (exposure -0.40)" in enc.encode("过曝了").notes
    assert "'太暗' is a complaint: brightness up (brightness +0.40)" in enc.encode("太暗了").notes
    assert "'overexposed' is a complaint: exposure down (exposure -0.40)" in enc.encode("the photo is overexposed").notes
    assert "is a complaint: exposure down" in enc.encode("有点过曝了，压一压").describe()


@pytest.mark.parametrize("prompt, complaint, attr, sign", [
    ("有点过曝了，压一压", "有点过曝了", "exposure", -1),
    ("过曝了，降一降", "过曝了", "exposure", -1),
    ("it's blown out, bring it down", "it's blown out", "exposure", -1),
    ("it's overexposed, fix it", "it's overexposed", "exposure", -1),
    ("too saturated, tone it down", "too saturated", "saturation", -1),
    ("太暗了，提一提", "太暗了", "brightness", 1),
    ("太艷了，收一收", "太艷了", "saturation", -1),
    ("光得滯，執下", "光得滯", "brightness", -1),
])
def test_a_verb_after_a_complaint_acts_on_the_complained_attribute(prompt, complaint, attr, sign):
    intent = enc.encode(prompt)
    assert intent.attributes == enc.encode(complaint).attributes, intent.describe()  # not a default attribute
    assert intent[attr] * sign > 0
    assert any("after the complaint" in n for n in intent.notes), intent.notes
    assert not any("nothing to modify" in n for n in intent.notes), intent.notes
    assert not intent.ignored


def test_a_verb_after_a_complaint_keeps_its_direction_and_may_set_the_degree():
    # the verb disagrees: the complaint's direction wins, and the note says so
    intent = enc.encode("太暗了，压一压")
    assert intent["brightness"] > 0 and any("the complaint's direction" in n for n in intent.notes)
    # its degree replaces the complaint's
    assert 0 < -amount("too bright, bring it down a bit", "brightness") < -amount("too bright", "brightness")
    assert amount("too bright bring it down a bit", "brightness") == amount("too bright, bring it down a bit", "brightness")
    # a verb alone, with no complaint before it, has nothing to act on
    alone = enc.encode("压一压")
    assert alone.changed == {} and any("nothing to modify" in n for n in alone.notes)
    assert enc.encode("fix it").changed == {}


def test_phrasal_verbs_take_an_object_and_chinese_verbs_may_be_said_twice():
    assert [t.surface for t in tokenize("bring it down")[0]] == ["bring it down"]
    assert [(t.lex.kind, t.lex.factor) for t in tokenize("turn them up")[0]] == [("dir", 1.0)]
    assert amount("tone the saturation down", "saturation") < 0
    assert amount("暖一暖", "warmth") > 0 and amount("压一压暗部", "shadows") < 0


@pytest.mark.parametrize("prompt, attr, sign", [
    ("not bright enough", "brightness", 1), ("it's not warm enough", "warmth", 1), ("it isn't bright enough", "brightness", 1),
    ("not enough contrast", "contrast", 1), ("too little contrast", "contrast", 1),
    ("不够亮", "brightness", 1), ("对比度不够", "contrast", 1), ("亮度不足", "brightness", 1), ("不夠暖", "warmth", 1),
    ("唔夠光", "brightness", 1), ("不够鲜艳", "saturation", 1),
])
def test_a_complaint_of_lack_adds_what_is_missing(prompt, attr, sign):
    intent = enc.encode(prompt)
    assert intent[attr] * sign > 0, intent.describe()
    assert not intent.ignored and any("is a complaint" in n for n in intent.notes), intent.notes


def test_enough_keeps_what_is_enough():
    for prompt in ("bright enough, but warmer", "够亮了，暖一点"):
        intent = enc.encode(prompt)
        assert intent["brightness"] == 0 and intent["warmth"] > 0, intent.describe()
        assert any("kept as it is" in n for n in intent.notes)


@pytest.mark.parametrize("prompt, attr, sign", [
    ("overexposed, bring it down", "exposure", -1), ("dark, bring it up", "brightness", 1),
    ("blown out, pull it back", "exposure", -1), ("暗，提一提", "brightness", 1),
    ("oversaturated, tone it down a bit", "saturation", -1),
])
def test_a_state_word_then_a_verb_the_other_way_is_a_complaint(prompt, attr, sign):
    intent = enc.encode(prompt)
    assert intent[attr] * sign > 0, intent.describe()
    assert any("the other way" in n for n in intent.notes) and any("after the complaint" in n for n in intent.notes)


def test_a_comparative_then_a_verb_is_not_read_as_a_complaint():
    # "warmer, bring it down" may mean "warmer, but less": no guess, the verb has nothing to modify
    intent = enc.encode("warmer, bring it down")
    assert intent["warmth"] > 0 and any("nothing to modify" in n for n in intent.notes)


def test_painters_names_ask_for_the_medium_their_work_evokes_and_explain_says_so():
    for prompt, medium, words in (("梵高风格", "oil_painting", "swirling impasto"), ("like hokusai", "ukiyo_e", "woodblock"),
                                  ("莫奈", "impressionist", "broken colour"), ("伦勃朗的光影", "oil_painting", "chiaroscuro")):
        intent = enc.encode(prompt)
        assert intent.medium == medium, prompt
        assert words in intent.describe(), (prompt, intent.describe())
    assert enc.encode("charcoal drawing").medium == "charcoal" and enc.encode("浮世繪").medium == "ukiyo_e"
    assert enc.encode("rembrandt lighting")["brightness"] < 0  # chiaroscuro; "lighting" is not "lighten"
    # a painter and a named medium: the one named last wins, and the note says so
    both = enc.encode("van gogh, but as a watercolor")
    assert both.medium == "watercolor" and any("replaces" in n for n in both.notes)
