"""Traditional Chinese characters to simplified, for the lexicon's prompts.

The lexicon's vocabulary is written in simplified characters; users in Taiwan, Hong Kong and
overseas write traditional ones (暖一點，對比度高一點, 復古膠片感). Mapping character by
character is enough here: the table covers every character the vocabulary uses that has a
distinct traditional form, plus the characters common in photo prompts (colours, light,
degree words, grammar words, verbs of editing). It is a few hundred pairs, not a dictionary:
characters it does not list pass through unchanged, and a phrase that is written with a
different *word* in Taiwan (底片, 雜訊) is taught to the vocabulary as that word.

Where one simplified character merges several traditional ones (發/髮 -> 发, 乾/幹 -> 干,
復/複 -> 复), each maps to it; a traditional character that is also a simplified one in its
own right (乾 as in 乾坤, 著) follows the sense prompts use.
"""

from __future__ import annotations

# Pairs "traditional simplified", separated by spaces; grouped loosely by topic for review.
_PAIRS = """
點点 對对 復复 複复 膠胶 調调 顏颜 飽饱 鮮鲜 豔艳 艷艳 麗丽 暉晖 輝辉 燈灯 陽阳 陰阴
溫温 熱热 涼凉 凍冻 藍蓝 綠绿 紅红 黃黄 紫紫 灣湾 臺台 檯台 顯显 濃浓 淺浅 暈晕 濛蒙
曬晒 雲云 霧雾 霽霁 颱台 風风 雪雪 夢梦 幻幻 朧胧 氣气 氛氛 圍围 緒绪 憂忧 鬱郁 傷伤
懷怀 舊旧 劇剧 戲戏 電电 電电 畫画 筆笔 鉛铅 繪绘 寫写 實实 墨墨 潑泼 國国 漫漫 動动
賽赛 龐庞 蒸蒸 霓霓 馬马 塊块 璃璃 彩彩 紋纹 紙纸 線线 條条 觸触 質质 層层 細细 節节
銳锐 鋭锐 晰晰 糊糊 焦焦 顆颗 粒粒 雜杂 訊讯 噪噪 邊边 緣缘 角角 褪褪 啞哑 霧雾 膚肤
臉脸 護护 態态 類类 濾滤 鏡镜 頭头 攝摄 製制 後后 處处 理理 張张 圖图 檔档 這这 個个
們们 嗎吗 麼么 會会 說说 話话 種种 樣样 覺觉 讓让 給给 幫帮 請请 謝谢 認认 為为
與与 還还 並并 於于 時时 間间 問问 題题 僅仅 儘尽 盡尽 極极 當当 爾尔 餘余 將将 專专
業业 級级 階阶 單单 淨净 亂乱 見见 觀观 無无 沒没 別别 過过 來来 幾几 兒儿 絲丝 丟丢
帶带 輕轻 較较 蠻蛮 頗颇 許许 適适 達达 滿满 敵敌 賊贼 變变 壓压 減减 強强 彈弹 轉转
換换 靈灵 歡欢 愛爱 戀恋 緻致 膩腻 夠够 濕湿 歷历 歲岁 鐘钟 錶表 軟软 韓韩 歐欧 美美
蘭兰 羅罗 維维 構构 號号 閃闪 燦灿 爛烂 療疗 癒愈 聖圣 誕诞 飾饰 發发 髮发 乾干 幹干
著着 裡里 裏里 準准 範范 隻只 彌弥 漸渐 淡淡 陽阳 晝昼 夜夜 曉晓 燒烧 煙烟 灑洒 灰灰
銀银 鐵铁 鋼钢 銅铜 礦矿 寶宝 貴贵 質质 感感 讚赞 賞赏 優优 雅雅 豐丰 驚惊 艷艳 聲声
視视 頻频 訂订 記记 錄录 憶忆 經经 典典 區区 華华 麗丽 貨货 價价 買买 賣卖 產产 務务
車车 門门 開开 關关 閉闭 應应 該该 須须 標标 準准 確确 認认 識识 請请 讀读 語语 調调
紀纪 錯错 誤误 總总 體体 內内 兩两 嚴严 厲厉 勁劲 勵励 猛猛 爆爆 狂狂 點点 擇择 選选
學学 習习 親亲 戶户 億亿 萬万 廣广 莊庄 廳厅 蓋盖 衛卫 視视 遠远 近近 濱滨 灘滩 湯汤
漢汉 寧宁 靜静 爭争 鬆松 緊紧 濁浊 澀涩 黴霉 暫暂 窗窗 簡简 潔洁 純纯 樸朴 補补 襯衬
顏颜 額额 頰颊 齒齿 們们 嬰婴 孫孙 媽妈 爺爷 貓猫 鳥鸟 魚鱼 龍龙 鳳凤 雞鸡 豬猪 獅狮
馮冯 樹树 葉叶 花花 園园 藝艺 術术 藥药 蘋苹 萊莱 塢坞 錢钱 櫻樱 楓枫 蓮莲 穩稳 屬属
奪夺 搶抢 據据 擁拥 攏拢 擴扩 擺摆 撥拨 擊击 擬拟 擾扰 樂乐 爾尔 瓏珑 環环 現现 畢毕
異异 發发 盞盏 監监 盤盘 礎础 禮礼 禪禅 稱称 積积 穀谷 窮穷 竄窜 築筑 篩筛 糧粮 紅红
約约 級级 納纳 紐纽 純纯 紗纱 組组 終终 絕绝 統统 絨绒 綁绑 綢绸 網网 綿绵 緒绪 練练
縮缩 織织 繁繁 繃绷 續续 纖纤 罰罚 義义 聞闻 聯联 聰聪 肅肃 脫脱 腦脑 膽胆 興兴 舉举
艦舰 莖茎 薦荐 蘇苏 虛虚 蟲虫 術术 補补 裝装 製制 複复 覽览 觸触 訪访 設设 許许 評评
試试 詩诗 詳详 誌志 誠诚 調调 談谈 請请 諸诸 講讲 謎谜 證证 識识 譜谱 護护 讀读 變变
豎竖 貝贝 負负 財财 責责 貼贴 費费 資资 賦赋 質质 趕赶 趙赵 跡迹 踐践 蹤踪 軌轨 軸轴
載载 輔辅 輪轮 辦办 邏逻 郵邮 鄉乡 醫医 釋释 鈕钮 錯错 鍵键 鎖锁 鏈链 鐘钟 長长 門门
閱阅 闆板 隊队 階阶 隨随 險险 隱隐 雙双 雛雏 雞鸡 離离 難难 電电 靂雳 韻韵 響响 頁页
項项 順顺 預预 領领 頻频 題题 額额 願愿 顛颠 飛飞 飯饭 飲饮 養养 餅饼 館馆 驗验 骯肮
髒脏 鬧闹 魯鲁 鳴鸣 麥麦 齊齐 齋斋 龜龟 億亿 優优 僅仅 價价 儲储 兇凶 勢势 勻匀 協协 厭厌
參参 叢丛 員员 啟启 喚唤 喪丧 喬乔 嘆叹 噴喷 嚇吓 團团 壞坏 壯壮 壽寿 夾夹 奧奥 婦妇
孿孪 寬宽 寵宠 對对 尋寻 屆届 屢屡 嶺岭 巖岩 帥帅 師师 帳帐 幣币 庫库 廢废 廟庙 彎弯
徑径 從从 徵征 惡恶 惱恼 慣惯 慮虑 憐怜 懶懒 戲戏 擋挡 攤摊 敗败 數数 斷断 暢畅 曆历
橫横 權权 歸归 殘残 殼壳 氫氢 淚泪 滅灭 滷卤 漁渔 漲涨 潛潜 澤泽 灣湾 烏乌 無无 營营
燭烛 爐炉 牆墙 狀状 獎奖 獨独 瑣琐 產产 畫画 療疗 發发 盜盗 確确 礙碍 稅税 窯窑 競竞
筆笔 節节 範范 簽签 籠笼 紋纹 綻绽 綴缀 縷缕 繡绣 缽钵 羨羡 習习 聖圣 膠胶 臟脏 舊旧
艱艰 蓄蓄 蔥葱 蕭萧 藹蔼 蘊蕴 蟬蝉 衝冲 補补 褲裤 覺觉 訴诉 詞词 譯译 谷谷 豬猪 貍狸
質质 輻辐 迴回 週周 運运 過过 遙遥 邁迈 還还 鄰邻 釀酿 鈍钝 銷销 鋒锋 鍍镀 鎮镇 鏽锈
閒闲 闊阔 陣阵 陳陈 陸陆 隔隔 雜杂 霸霸 靚靓 頂顶 頓顿 頸颈 顆颗 顧顾 颯飒 飄飘 餘余
滯滞 執执 饞馋 駕驾 騰腾 驕骄 體体 鬥斗 鮮鲜 鹽盐 麵面 黨党 齡龄 勞劳 歐欧 偽伪 傳传 價价 億亿
""".split()

#: Traditional character -> simplified character.
TRAD_TO_SIMP: dict[str, str] = {}
for _pair in _PAIRS:
    if len(_pair) != 2:  # pragma: no cover - a typo in the table above
        raise ValueError(f"hanzi table entry {_pair!r} is not one traditional and one simplified character")
    if _pair[0] != _pair[1]:
        TRAD_TO_SIMP[_pair[0]] = _pair[1]
del _pair

_TABLE = str.maketrans(TRAD_TO_SIMP)


def to_simplified(text: str) -> str:
    """``text`` with the traditional characters of :data:`TRAD_TO_SIMP` written simplified."""
    return text.translate(_TABLE)
