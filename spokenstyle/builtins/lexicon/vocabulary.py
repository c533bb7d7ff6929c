"""The lexicon encoder's vocabulary: every word it knows, in English and Chinese, as data.

Edit this file to teach the lexicon new words; the grammar lives in the
modules beside it (:mod:`.tokenize`, :mod:`.parse`, :mod:`.resolve`).

* Phrases are separated by ``|``. English phrases are lower case, words separated by single
  spaces ("black and white"); Chinese phrases are written as they are ("保留原来的颜色").
* Amounts are signed, in the units of :mod:`spokenstyle.intent` (the plain word is ~0.4).
"""

from __future__ import annotations

#: The amount of a plain word ("warmer", "暖"); degree words scale it.
PLAIN = 0.4

#: How far a limit ("not too dark", 别太暗) lets an attribute move: "a little".
LIMIT_CAP = 0.15

# ----------------------------------------------------------------------------------------------
# Words that move attributes directly. "warmer" and "warm" mean the same: the prompt always
# describes a change to the photo.
ADJECTIVES: dict[str, dict[str, float]] = {
    "warm|warmer|warmest|warmed|warm up|warm it up|warm things up|golden|gold|yellow|yellower|orange|summery|"
    "暖|暖色|暖色调|暖调|温暖|暖和|暖暖|偏暖|暖黄|暖光|金黄|金色|黄|调暖|变暖|加暖|暖化": {"warmth": PLAIN},
    "cool|cooler|coolest|cold|colder|chilly|icy|blue|bluer|cool down|cool it down|wintry|"
    "冷|冷色|冷色调|冷调|清冷|偏冷|冷淡|冰冷|蓝|蓝调|偏蓝|调冷|变冷|冷一冷|冻|冻啲": {"warmth": -PLAIN},
    "pink|pinker|magenta|rosy|rose|粉|粉色|粉嫩|粉调|偏粉|玫瑰|洋红": {"tint": PLAIN},
    "green|greener|greenish|绿|绿色|偏绿|绿调": {"tint": -PLAIN},
    "saturated|colorful|colourful|vivid|vibrant colors|vivid colors|rich colors|rich|punchy colors|"
    "鲜艳|鲜亮|浓郁|艳丽|色彩鲜艳|饱满|浓|艳|鲜": {"saturation": PLAIN},
    "desaturated|desaturate|muted|dull|duller|washed out|pastel|subdued|less colorful|less colourful|"
    "低饱和|降饱和|去饱和|减饱和|淡雅|素雅|灰|灰调|高级灰|莫兰迪|淡|寡淡": {"saturation": -PLAIN},
    "vibrant|更有活力|活力": {"vibrance": PLAIN},
    "contrasty|punchy|punchier|bold|bolder|dramatic contrast|有层次|通透": {"contrast": PLAIN},
    "flat|flatter|low key contrast|soft contrast|平淡|平|柔和对比": {"contrast": -PLAIN},
    "bright|brighter|brightest|brighten|brighten up|brighten it up|light|lighter|lighten|lighten up|lighten it up|luminous|"
    "亮|明亮|光亮|提亮|亮堂|透亮|亮丽|白|调亮|变亮|加亮|提光|光|光猛|光脆": {"brightness": PLAIN},
    "lights out|lights down|lights down low|lights off|dim the lights|lower the lights|turn off the lights|"
    "kill the lights|关灯|熄灯": {"brightness": -PLAIN},
    #: Cantonese 靓 (pretty): livelier colour, a little punch.
    "靓|靓靓|靓丽": {"vibrance": 0.3, "saturation": 0.15, "contrast": 0.1},
    "dark|darker|darkest|darken|darken it|dim|dimmer|shadowy|gloomy|黑|暗|昏暗|压暗|深|暗沉|阴暗|调暗|变暗|压光|降光": {"brightness": -PLAIN},
    "underexposed|underexpose|under exposed|欠曝|曝光不足": {"exposure": -PLAIN},
    #: Too much colour as a state: with a copula or 了 a complaint ("it's oversaturated" -> less).
    "oversaturated|over saturated|oversaturate": {"saturation": 1.5 * PLAIN},
    "undersaturated|under saturated": {"saturation": -PLAIN},
    "lifted shadows|lift the shadows|lift shadows|open shadows|open up the shadows|"
    "提亮暗部|暗部提亮|阴影提亮": {"shadows": PLAIN},
    "crushed shadows|crush the shadows|deep shadows|deeper shadows|deep blacks|"
    "压暗暗部|暗部压暗": {"shadows": -PLAIN},
    "faded|matte|washed|hazy|milky|褪色|哑光|雾面|发灰|泛白|朦胧": {"fade": PLAIN, "saturation": -0.15},
    "grainy|grainier|noisy|gritty|颗粒感|粗粝|噪点感": {"grain": PLAIN},
    "vignetted|dark corners|darker corners|暗角感|压角": {"vignette": PLAIN},
    "sharp|sharper|sharpen|sharpened|crisp|crisper|detailed|clear|clearer|清晰|锐利|锐化|更清楚|清楚|锐": {"sharpness": PLAIN},
    "soft|softer|soften|softened|blurry|blurred|blur|smooth|smoother|gentle|glowy|diffused|"
    "柔|柔和|柔焦|柔光|模糊|朦胧感|柔美|虚化": {"sharpness": -PLAIN},
}

#: Nouns name an attribute; mentioning one means "more of it" unless a direction word says
#: otherwise ("more contrast", "low contrast", 对比度高一点, 降低饱和度).
NOUNS: dict[str, str] = {
    "contrast|对比|对比度|反差|层次": "contrast",
    "saturation|color saturation|colour saturation|饱和度|饱和|彩度": "saturation",
    "color|colour|colors|colours|colouring|coloring|色彩|颜色|色彩感": "saturation",
    "brightness|亮度|明度": "brightness",
    "exposure|曝光|曝光度": "exposure",
    "shadows|shadow|暗部|阴影": "shadows",
    "grain|film grain|noise|颗粒|噪点|胶片颗粒": "grain",
    "vignette|vignetting|暗角": "vignette",
    "sharpness|clarity|detail|details|清晰度|锐度|细节": "sharpness",
    "warmth|temperature|色温|暖度": "warmth",
    "fade|褪色感": "fade",
    "vibrance|自然饱和度": "vibrance",
    "tint|色调偏移": "tint",
}

#: The nouns above that name the photo's colour itself: "no colour (at all)", 没有颜色 is black and
#: white, and next to another look word they only name what it changes ("warm colours", 颜色淡一点).
COLOUR_NOUNS = "color|colour|colors|colours|colouring|coloring|色彩|颜色|色彩感"

#: Direction words: prefix ("more contrast", 提高对比度) or, for nouns, postfix (对比度高).
DIRECTIONS: dict[str, int] = {
    "more|high|higher|boost|boosted|increase|increased|raise|up|add|extra|stronger|heavier|heavy|"
    "lift|lift up|crank up|crank|turn up|dial up|pump up|bump up|amp up|ramp up|jack up|push|push up|bring up|bring out|max out|"
    "高|提高|增加|加|加点|加强|增强|强|大|多|调高|拉高|提升|更多|多点|多一点|加深|提|增|拉|加大|调大": +1,
    "less|low|lower|reduce|reduced|decrease|decreased|down|fewer|weaker|lighter on|minimal|"
    "tone down|turn down|dial down|dial back|bring down|pull down|knock down|cut|cut down|cut back|ease off|ease up|back off|"
    "pull back|take down|scale back|remove some|tame|calm down|rein in|settle down|"
    "低|降低|减少|减|弱|小|少|调低|拉低|减弱|少点|少一点|降|压低|减淡|调小|减小|弱化|淡化|收|收一收|压": -1,
}

#: Degree words scale the attribute they govern ("a bit warmer" < "warmer" < "way warmer").
DEGREES: dict[str, float] = {
    "a tiny bit|a very little|just a touch|barely|a hint of|hint of|a hint|a smidge|smidge|a wee bit|teeny bit|"
    "一点点|一丢丢|一丝|一丝丝|微微|微|一咪咪|一丁点|丁点": 0.3,
    "a bit|a little|a little bit|a bit more|slightly|slight|kinda|kind of|sorta|sort of|somewhat|a touch|"
    "a touch of|touch of|a tad|tad|lightly|mildly|gently|subtle|subtly|little|bit|lowkey|low key|abit|a lil|a lil bit|lil|"
    "有点|有点儿|有一点|一点|一点儿|有啲|啲|一啲|少少|小小|稍微|稍稍|稍|略|略微|略略|一些|有些|些许|轻微|淡淡|淡淡的|带点|带一点|点|些|点儿|一下下": 0.5,
    "fairly|moderately|somewhat more|适当|适度": 0.8,
    "even|even more|更|更加|再|越来越|来点|来一点|给点|给一点": 1.0,
    "quite|pretty|rather|noticeably|挺|蛮|比较|较|颇|满": 1.3,
    "very|really|much|much more|a lot|a lot more|lots|lots of|so|strong|strongly|heavily|seriously|deeply|hella|mad|"
    "v|rly|real|most|the most|"
    "很|非常|相当|特别|十分|好|真|很多|多多|明显|大大|最|亿点点|亿点|得很": 1.6,
    "super|way|way more|extremely|insanely|hugely|massively|totally|ultra|incredibly|crazy|intensely|max|maximum|af|as hell|"
    "mega|completely|entirely|fully|"
    "超|超级|极|极其|极度|巨|贼|非常非常|特别特别|爆|拉满|超级无敌|完全|彻底|狂|极了|得不行|得要命|得不得了": 2.0,
}

#: Degree words that may also *follow* the word they govern (暖一点, 亮一些, "warmer, a bit").
POSTFIX_DEGREES = (
    "a tiny bit|a bit|a little|a little bit|slightly|a touch|a tad|a lot|lots|much|af|as hell|a smidge|a lil|a lil bit|"
    "a wee bit|just a touch|a hint|a touch of|"
    "一点点|一丢丢|一丝|一丝丝|一点|一点儿|有点|啲|一啲|少少|小小|一些|些许|点|些|点儿|很多|多多|明显|拉满|爆|一咪咪|一丁点|一下下|亿点点|亿点|"
    "得很|极了|得不行|得要命|得不得了"  # 暖得很, 亮极了: only ever after their word
)

NEGATIONS = (
    "not|no|without|don't|dont|do not|never|none|zero|nothing|remove|get rid of|drop|skip|avoid|lose|minus|"
    "take|take out|take away|take all|strip|strip out|strip away|drain|drain all|kill|"
    "isn't|isnt|aren't|arent|wasn't|wasnt|"
    "不|不要|别|没有|没|无|唔|唔好|唔要|冇|去掉|去除|不用|不需要|免|拿掉|不加|不想要"
)
LIMITS = (
    "not too|not overly|not very|not super|not really|don't go too|dont go too|not excessively|"
    "don't make it too|dont make it too|nothing too|no more than a bit|"
    "别太|不要太|唔好太|唔好咁太|不太|不用太|不要过于|别过于|不能太|不宜太|别过分|不要过分|别弄得太|不要弄得太|不要变得太|别变得太|别搞得太|不要搞得太"
)
#: "not so dark" / 没那么暗 / 不要那么鲜艳: less of it than the photo has now (move the other way).
REDUCE = (
    "not so|not as|not that|less of that|not quite so|"
    "没那么|没这么|唔好咁|唔好甘|冇咁|冇那么|唔使咁|唔洗咁|没有那么|没有这么|不那么|不这么|不要那么|不要这么|别那么|别这么|不用那么|不用这么|别再那么|不要再那么"
)
#: "too dark" / 太暗: the photo *is* too dark, so the look moves the other way.
TOO = (
    "too|overly|way too|much too|why so|why is it so|太|过于|太过|过|忒|"
    "怎么这么|怎么那么|为什么这么|为什么那么|咋这么|点解咁|点解会咁|太过头"
)

# ----------------------------------------------------------------------------------------------
#: Hazards: what a look can do to a region (blow out the highlights, crush the blacks). Alone,
#: a hazard word is that look ("overexposed"); negated or limited it protects the region
#: ("don't blow out the highlights", 别过曝, 别死黑) instead of removing the rest of the prompt.
HAZARDS: dict[str, tuple[str, dict[str, float]]] = {
    "highlights": (
        "overexposed|overexpose|overexposing|over exposed|over expose|blown out|blow out|blowing out|blown|"
        "blow|clipped|clip|clipping|burn out|burned out|burnt out|burning out|blown highlights|clipped highlights|"
        "过曝|亮曝|曝光过度|过度曝光|爆掉|爆了|死白|爆白|溢出|高光溢出|高光爆|过亮",
        {"exposure": PLAIN},
    ),
    "shadows": (
        "crushed blacks|crush the blacks|crush blacks|crushing the blacks|crushed|crush|blocked shadows|"
        "死黑|黑死|一片黑|欠曝死黑",
        {"shadows": -PLAIN},
    ),
}
#: Regions a prompt can keep: "keep the highlights", 保留肤色, "skin tones intact".
REGIONS: dict[str, str] = {
    "highlights|highlight|the highlights|whites|bright parts|bright areas|sky detail|高光|亮部|高光细节|亮部细节|天空细节": "highlights",
    "shadow detail|shadow details|blacks|dark parts|dark areas|暗部细节|阴影细节|暗处细节": "shadows",
    "skin|skin tone|skin tones|skintone|skintones|skin colour|skin color|skin colours|skin colors|face|faces|complexion|"
    "肤色|皮肤|肤质|人脸|脸|脸色|面部|肤": "skin",
}
#: Verbs that keep a region as it is: before it ("keep the highlights", 保留肤色) or after it
#: (肤色不变, "skin tones intact").
KEEPS = (
    "keep|keeping|preserve|preserving|protect|protecting|retain|save|hold|hold onto|maintain|don't lose|dont lose|"
    "without losing|leave|don't touch|dont touch|don't change|dont change|intact|untouched|unchanged|kept|preserved|"
    "protected|as is|alone|"
    "保留|保持|保护|留住|守住|别丢|不要丢|不丢|不变|别动|不要动|不动|别碰|不要碰|别改|不要改|照顾|注意|维持"
)

# ----------------------------------------------------------------------------------------------
#: Looks: named presets that expand to several attributes (and optionally a split-tone palette).
LOOKS: dict[str, tuple[str, dict[str, float], list[str] | None]] = {
    "dreamy": (
        "dreamy|dreamlike|dream|ethereal|soft focus|hazy glow|梦幻|梦幻感|梦境|唯美|仙气|仙|朦胧美",
        {"brightness": 0.2, "contrast": -0.3, "fade": 0.25, "sharpness": -0.5, "warmth": 0.1, "shadows": 0.2, "saturation": -0.1},
        None,
    ),
    "moody": (
        "moody|brooding|melancholic|melancholy|somber|sombre|dramatic|drama|dark and moody|"
        "情绪|情绪感|氛围感|忧郁|伤感|阴郁|暗调|压抑|暗黑|戏剧",
        {"brightness": -0.35, "contrast": 0.5, "saturation": -0.25, "warmth": -0.1, "vignette": 0.35},
        None,
    ),
    "vintage": (
        "vintage|retro|old school|nostalgic|old photo|old|classic|aged|复古|怀旧|老照片|年代感|旧|港风|港式",
        # old prints: colour drained, blacks lifted (fade), a little warm; no split tone, which
        # would add back the chroma the look takes away
        {"warmth": 0.12, "fade": 0.35, "saturation": -0.35, "contrast": -0.1, "grain": 0.25, "vignette": 0.15},
        None,
    ),
    "cinematic": (
        "cinematic|movie|film look|filmic|hollywood|blockbuster|teal and orange|orange and teal|电影|电影感|大片|大片感|青橙|电影色调",
        {"contrast": 0.3, "saturation": -0.1, "vignette": 0.2, "shadows": -0.1},
        ["#1d5c63", "#f0a35e"],
    ),
    "airy": (
        "airy|bright and airy|light and airy|fresh|clean|japanese|清新|小清新|日系|干净|通透感|空气感|明快",
        {"brightness": 0.3, "shadows": 0.25, "contrast": -0.2, "saturation": -0.15, "warmth": -0.05},
        None,
    ),
    "black_and_white": (
        "black and white|black & white|black white|bw|monochrome|mono|grayscale|greyscale|gray scale|noir style|colorless|colourless|"
        "黑白|黑白照|单色|灰度图|去色|无彩|灰阶",
        {"saturation": -1.0},
        None,
    ),
    "noir": (
        "noir|film noir|黑色电影",
        {"saturation": -1.0, "contrast": 0.5, "vignette": 0.4, "brightness": -0.1},
        None,
    ),
    "sepia": (
        "sepia|sepia tone|sepia toned|antique|tintype|泛黄|老旧|棕褐|棕褐色|做旧|啡色调",
        # near-monochrome, toned brown in the shadows and cream in the highlights
        {"saturation": -0.95, "warmth": 0.15, "fade": 0.15},
        ["#4a3526", "#f2d9a6"],
    ),
    # darkroom processes
    "cyanotype": (
        "cyanotype|blueprint|蓝晒|蓝晒法|氰版",
        {"saturation": -0.95, "warmth": -0.3, "contrast": 0.1},
        ["#0b2a5a", "#d7e8f5"],
    ),
    "cross_processed": (
        "cross processed|cross processing|cross process|xpro|x pro|正片负冲|负片正冲|交叉冲洗",
        {"contrast": 0.35, "saturation": 0.3, "tint": -0.1, "warmth": 0.1},
        ["#1c4d3a", "#f5e27a"],
    ),
    "bleach_bypass": (
        "bleach bypass|skip bleach|silver retention|留银|留银冲洗|跳漂白|漂白效果|漂白",
        {"saturation": -0.55, "contrast": 0.45, "sharpness": 0.1},
        None,
    ),
    "sunny": (
        "sunny|sunnier|sunniest|sunshine|sunlit|sunlight|sun kissed|sunkissed|阳光|阳光感|晴天|晴朗|明媚|阳光明媚",
        {"warmth": 0.35, "brightness": 0.25, "saturation": 0.05},
        None,
    ),
    "cozy": ("cozy|cosy|homey|snug|温馨|温柔|治愈|暖心", {"warmth": 0.35, "brightness": 0.05, "fade": 0.1, "sharpness": -0.15}, None),
    "golden_hour": (
        "golden hour|sunset|sunrise|sunset glow|magic hour|夕阳|黄昏|日落|落日|晚霞|金色时刻",
        {"warmth": 0.55, "brightness": 0.05, "saturation": 0.15, "contrast": 0.1},
        ["#5a3a5e", "#ffc46b"],
    ),
    "wintry": ("frosty|winter|wintery|nordic|冬天|冬日|冰|北欧|冷淡风", {"warmth": -0.5, "saturation": -0.2, "brightness": 0.1}, None),
    "lush": ("lush|tropical|summer|夏天|夏日|盛夏", {"saturation": 0.35, "vibrance": 0.2, "warmth": 0.1, "contrast": 0.1}, None),
    "autumn": ("autumn|autumnal|fall colors|秋天|秋日|秋", {"warmth": 0.4, "saturation": 0.15, "tint": 0.05}, ["#3d2b1f", "#e0a24a"]),
    "matte": ("matte look|matte film|哑光感", {"fade": 0.45, "contrast": -0.2}, None),
    "pop": ("pop|poppy|make it pop|more pop|punchy look|eye catching|吸睛|抢眼|出片", {"contrast": 0.3, "saturation": 0.25, "vibrance": 0.2}, None),
}

#: Artistic media: phrases, and the colour look that goes with the medium (applied by `grade`
#: even when no installed backend renders the medium's texture).
MEDIA_WORDS: dict[str, tuple[str, dict[str, float], list[str] | None]] = {
    "oil_painting": ("oil painting|oil paint|oil|painterly|painting|油画|油画感|油彩", {"saturation": 0.2, "contrast": 0.1, "sharpness": -0.2}, None),
    "impressionist": ("impressionist|impressionism|印象派|印象主义", {"saturation": 0.3, "warmth": 0.1, "sharpness": -0.25}, None),
    "watercolor": (
        "watercolor|watercolour|water color|water colour|watercolor painting|watercolour painting|aquarelle|水彩|水彩画",
        {"saturation": -0.1, "brightness": 0.15, "fade": 0.15, "sharpness": -0.35, "contrast": -0.1},
        None,
    ),
    "pencil_sketch": (
        "pencil sketch|pencil drawing|pencil|sketch|sketchy|drawing|graphite|素描|铅笔画|铅笔|速写|手绘",
        {"saturation": -0.9, "contrast": 0.2, "brightness": 0.1},
        None,
    ),
    "ink_wash": (
        "ink wash|ink painting|ink|sumi e|sumie|chinese painting|brush painting|水墨|水墨画|国画|中国画|泼墨",
        {"saturation": -0.85, "contrast": 0.15, "fade": 0.15},
        None,
    ),
    "charcoal": (
        "charcoal|charcoal drawing|charcoal sketch|charcoal pencil|炭笔|炭笔画|炭画|木炭|木炭画|炭精|木炭素描|炭笔素描|炭素描",
        {"saturation": -0.9, "contrast": 0.3, "brightness": -0.05},
        None,
    ),
    "ukiyo_e": (
        "ukiyo e|ukiyoe|ukiyo|woodblock|woodblock print|japanese woodblock|japanese print|浮世绘|木刻版画|木版画",
        {"contrast": 0.2, "fade": 0.1, "saturation": 0.1},
        None,
    ),
    "mosaic": ("mosaic|tiles|tiled|马赛克|拼贴", {"saturation": 0.15}, None),
    "stained_glass": ("stained glass|彩色玻璃|彩绘玻璃", {"saturation": 0.35, "contrast": 0.2}, None),
    "pixel_art": ("pixel art|pixel|pixels|pixelated|8 bit|8bit|16 bit|retro game|像素|像素风|像素画|像素艺术", {"saturation": 0.2, "contrast": 0.1}, None),
    "comic": (
        "comic|comic book|comics|pop art|popart|cartoon|cartoony|manga|anime|warhol|漫画|波普|波普艺术|卡通|动漫|二次元",
        {"saturation": 0.4, "contrast": 0.35},
        None,
    ),
    "neon": (
        "neon|cyberpunk|synthwave|vaporwave|blade runner|霓虹|霓虹灯|赛博朋克|赛博|蒸汽波",
        {"saturation": 0.35, "contrast": 0.3, "brightness": -0.1, "tint": 0.15},
        ["#1b2a8c", "#ff3fb4"],
    ),
    "vintage_film": (
        "vintage film|film|analog|analogue|film photo|film photography|35mm|"
        "复古胶片|胶片|胶片感|胶片风|菲林|菲林感|菲林味|底片|底片感|复古底片",
        {"warmth": 0.12, "fade": 0.3, "grain": 0.35, "saturation": -0.3, "contrast": -0.05},
        None,
    ),
}

#: Painters by name: the medium their work evokes and a colour look, with what they evoke in words
#: (explain shows it). Not a claim of likeness: a direction for the renderer.
PAINTERS: dict[str, tuple[str, str, str, dict[str, float], list[str] | None]] = {
    "van_gogh": ("van gogh|vincent van gogh|starry night|梵高|梵谷|星夜", "oil_painting", "swirling impasto",
                 {"saturation": 0.35, "contrast": 0.15, "warmth": 0.1}, None),
    "monet": ("monet|claude monet|water lilies|莫奈|睡莲", "impressionist", "broken colour in soft light",
              {"saturation": 0.15, "brightness": 0.1, "fade": 0.1, "sharpness": -0.25}, None),
    "hokusai": ("hokusai|katsushika hokusai|great wave|hiroshige|葛饰北斋|北斋|歌川广重|神奈川冲浪里", "ukiyo_e",
                "woodblock: flat colour and strong outlines", {"contrast": 0.2, "fade": 0.1}, None),
    "rembrandt": ("rembrandt lighting|rembrandt|伦勃朗|林布兰", "oil_painting", "chiaroscuro: warm light out of deep shadow",
                  {"contrast": 0.3, "brightness": -0.1, "warmth": 0.25, "saturation": -0.1}, None),
}

#: Flags: phrases that switch an option of the intent on.
_COLOUR_NOUNS = ("color", "colors", "colour", "colours", "hue", "hues", "tones")
_KEEP = ("keep", "preserve", "retain", "maintain", "leave", "don't change", "dont change", "same")
_DETS = ("", "the ", "my ", "its ", "the original ", "original ", "the natural ", "natural ", "the real ", "true ")
FLAGS: dict[str, str] = {
    "|".join(f"{k} {d}{n}" for k in _KEEP for d in _DETS for n in _COLOUR_NOUNS)
    + "|original colors|original colours|color preserving|colour preserving|true colors|true colours|natural colors|natural colours"
    "|保留原来的颜色|保留颜色|保留原色|保持原色|保持颜色|保持原来的颜色|保持原有颜色|保留原有颜色|原色|颜色不变|不改颜色|不要改颜色|别改颜色|不变色|色彩不变": "preserve_color",
}

#: Words that carry no meaning here and are skipped silently (not reported as ignored).
STOPWORDS = (
    "make|makes|making|it|the|a|an|with|like|look|looking|please|pls|plz|give|me|my|photo|"
    "photos|picture|pictures|image|images|pic|pics|shot|this|that|these|to|of|in|on|for|feel|feeling|vibe|vibes|"
    "style|styled|stylized|effect|effects|tone|toned|tones|toning|some|just|be|should|could|can|want|i|id|i'd|"
    "would|also|plus|then|get|turn|into|as|if|version|mood|look like|kind|sort|lot|overall|"
    "everything|whole|thing|aesthetic|filter|grade|graded|grading|colour grading|color grading|feel like|"
    "put|apply|use|using|give it|let's|lets|go|going|do|want it|wanna|gonna|you|your|we|our|us|"
    "one|ish|palette|there|there's|theres|"
    "的|一下|下来|下去|上来|起来|回来|回去|让|把|照片|图片|图|这张|这个|给我|请|帮我|弄|调|调成|变|变得|变成|得|要|感|风|风格|效果|色调|调子|样子|"
    "像|那种|一样|也|有|整体|画面|色|做成|做|成|一张|张|我|想|想要|感觉|氛围|点缀|吧|呢|啊|呀|哦|嗯|来|给|用|加上|带|"
    "整个|这|那|就|还|都|能|可以|希望|最好|更好|"
    "嘅|喇|啦|囉|啰|吖|嘞|噃|咩|呢张|呢|张相|呢张相|幅相|唔该|帮我整|整|整到|啱啱好|嘢|"
    "them|needs|need|"
    "at all|whatsoever|only|natural|nice|good|great|better|beautiful|awesome|amazing|thanks|thank you|thx|lol|haha|maybe|"
    "perhaps|bro|dude|omg|ok|okay|now|here|from|all|any|out|"
    "自然|就好|就行|就够了|就够|就可以|即可|就好了|任何|好吗|好不好|谢谢|滤镜|质感|来个|一些些|好看|漂亮|美美|美美的|拜托|麻烦|哦哦"
)

#: Emoji read as words where their meaning is obvious; any other emoji is reported as ignored.
EMOJI: dict[str, str] = {
    "☀|🌞|🌤|⛅|🌻|🏖": "sunny",
    "🌙|🌚|🌃|🌌|🌑|🖤|🥀": "moody",
    "🌅|🌇": "golden hour",
    "❄|☃|⛄|🧊|🥶": "frosty",
    "🔥|🧡": "warmer",
    "💧|🌊|💙|🩵": "cooler",
    "🌈|🎨": "colorful",
    "🌸|🌷|💗|💖|🩷": "pink",
    "🍂|🍁|🎃": "autumn",
    "🌴|🏝|🌺": "tropical",
    "✨|💫|☁|🦄|💭": "dreamy",
    "🕯|☕|🧸": "cozy",
    "🎞|📽|📼": "film",
    "🎬|🍿": "cinematic",
    "⚫|⚪|🔲|🔳|🐼": "black and white",
    "💡": "brighter",
    "🌫": "hazy",
}

#: Particles of English phrasal verbs: after an adjective used as a verb ("warm this up",
#: "cool it down", "brighten things up") they agree with it and change nothing.
PARTICLES = "up|down"

#: Complaints: a state word after a copula ("it's blown out", "the photo is overexposed", "the
#: contrast is low") or before a clause-final 了 / Cantonese 咗 (过曝了, 颜色淡了, 过曝咗) names
#: what is wrong with the photo, and the look moves away from it, like "too dark" / 太暗.
COPULAS = (
    "is|are|was|were|it's|its|that's|thats|it is|seems|seem|seems to be|seem to be|looks|feels|"
    "got|gotten|getting|is getting|has gotten|has become|became|came out|comes out|turned out|turns out|ended up"
)
#: Sentence-final particles of a changed state (过曝了, 暗咗): after a state word at the end of a
#: clause, a complaint; anywhere else, nothing.
COMPLAINT_PARTICLES = "了|咗"
#: Postfix "too much" (光得滞, 亮过头了): the word before it is a complaint.
POST_TOO = "得滞|过头|过头了|过了头|得过分|过火|过火了|得太多"
#: Complaints of lack: "not enough contrast", 不够亮, 唔够光 before the word, 对比度不够 / 亮度不足
#: after it: the photo has too little of it, so the look adds it.
LACKS = "not enough|not nearly enough|too little|lacks|lacking|不够|唔够|未够|不太够|不足|太少|欠缺|缺少|缺乏"
#: "not bright enough" (with a negation before the word): a complaint of lack; "bright enough"
#: alone: leave it as it is.
ENOUGH = "enough|够了|够"

#: Verbs of repair: after a complaint they act on it ("it's blown out, fix it"); alone, nothing.
FIXES = "fix|fix it|fix that|fix this|correct it|correct that|sort it out|repair it|修一修|修一下|修修|救一下|救回来|修正|整返好|执下|执一执"
#: Object pronouns English phrasal verbs take between verb and particle ("bring it down",
#: "tone them down"): DIRECTIONS phrases of two words are also read with one of these inside.
PHRASAL_OBJECTS = "it|them|this|that|things|everything"

#: Words and punctuation that end a clause: pending degree/negation words stop there.
CLAUSE_WORDS = "but|and|though|although|yet|however|while|whereas|但|但是|不过|可是|而且|并且|和|还有|同时|然后|以及|又"

#: Film stocks: each its own look, and the vintage film medium (so the grade renders it). The
#: amounts are what each stock is known for, checked on the corpus photos (tests/data/prompts/film.tsv).
FILM_STOCKS: dict[str, tuple[str, dict[str, float], list[str] | None]] = {
    "polaroid": (
        "polaroid|instant film|instax|拍立得|宝丽来",
        {"fade": 0.35, "contrast": -0.15, "saturation": -0.25, "warmth": 0.1, "tint": -0.05, "grain": 0.2},
        None,
    ),
    "kodachrome": ("kodachrome|柯达克罗姆", {"saturation": 0.3, "contrast": 0.3, "warmth": 0.15, "grain": 0.1}, None),
    "portra": ("portra|kodak portra|波特拉", {"warmth": 0.35, "contrast": -0.15, "fade": 0.1, "grain": 0.15}, None),
    "kodak": (
        "kodak|kodak gold|gold 200|ektar|kodak colour|kodak color|柯达|柯达色|柯达胶片|柯达金",
        {"warmth": 0.35, "saturation": 0.15, "contrast": 0.05, "grain": 0.15},
        None,
    ),
    "ektachrome": ("ektachrome|e6|slide film|反转片|正片", {"saturation": 0.25, "contrast": 0.2, "warmth": -0.2}, None),
    "velvia": ("velvia|富士维尔维亚", {"saturation": 0.5, "vibrance": 0.2, "contrast": 0.3, "tint": 0.05}, None),
    "fuji": (
        "fuji|fujifilm|fuji colour|fuji color|superia|pro 400h|富士|富士色|富士胶片|富士味",
        {"warmth": -0.3, "tint": -0.1, "saturation": 0.15, "contrast": 0.1, "grain": 0.15},
        None,
    ),
    "cinestill": ("cinestill|800t|cinestill 800t|电影卷", {"warmth": -0.3, "contrast": 0.1, "grain": 0.3}, None),
    "tri_x": ("tri x|trix|tri x 400|kodak tri x", {"saturation": -1.0, "contrast": 0.35, "grain": 0.5}, None),
    "ilford": ("ilford|hp5|hp5 plus|delta 3200|黑白胶片|黑白菲林", {"saturation": -1.0, "contrast": 0.2, "grain": 0.4}, None),
    "lomo": ("lomo|lomography|lca|lc a|holga|lomo风|乐魔", {"saturation": 0.35, "contrast": 0.5, "vignette": 0.35}, None),
    "expired_film": (
        "expired film|expired|过期胶片|过期菲林",
        {"fade": 0.35, "saturation": -0.3, "tint": 0.1, "warmth": 0.1, "grain": 0.3},
        None,
    ),
}
