"""Relevance set for catalogue search over the demo catalogue of standard service items.

Each row is ``(query, kind, expected_codes)``: the query a citizen types, the kind of query, and the
item code(s) from ``platform/standards/demo_data/standard_items.json`` any one of which should be ranked
first. Most rows expect one code; two or three only where the query is genuinely ambiguous between items
(身份证 could be a first application, a renewal or a replacement).

Kinds:

- ``official``: the full official item name (出生登记).
- ``partial``: part of the name (身份证换 for 居民身份证换领).
- ``everyday``: what people actually type, often sharing no character with the official name
  (驾照快到期了, 开餐馆); paraphrases rather than copies of the catalogue's aliases.
- ``pinyin``: full pinyin without tones, with or without spaces (jiehundengji, jie hun deng ji).
- ``initials``: pinyin initials (sfz for 身份证, jhdj for 结婚登记).
- ``typo``: a pinyin string with one wrong, missing or swapped letter (jiehundnegji).
- ``mixed``: Chinese and pinyin mixed (身份zheng, 结hun登记).
- ``traditional``: typed in traditional characters (結婚登記), from Hong Kong, Taiwan or an old input method.
- ``homophone``: a wrong character of the same sound picked from the input method's list (身分证, 公基金).
- ``licence``: what a shop or restaurant owner calls a licence or permit (餐饮执照, 卫生证, 开店执照).

The rows spread over the departments of the catalogue, so a ranking change that helps one department's
vocabulary at the expense of another shows up here. Search quality is measured as the share of rows whose
first result is one of the expected codes, overall and per kind.
"""

RELEVANCE: list[tuple[str, str, tuple[str, ...]]] = [
    # --- official: the full official name -------------------------------------------------------------
    ("出生登记", "official", ("YM-GAJ-QR-001",)),
    ("居民身份证换领", "official", ("YM-GAJ-QR-007",)),
    ("无犯罪记录证明开具", "official", ("YM-GAJ-GG-004",)),
    ("结婚登记", "official", ("YM-MZJ-QR-001",)),
    ("离婚登记", "official", ("YM-MZJ-QR-002",)),
    ("最低生活保障审核确认", "official", ("YM-MZJ-JF-001",)),
    ("失业保险金申领", "official", ("YM-RSJ-JF-001",)),
    ("工伤认定", "official", ("YM-RSJ-QR-001",)),
    ("异地就医备案", "official", ("YM-YBJ-GG-002",)),
    ("个体工商户设立登记", "official", ("YM-SJJ-XK-002",)),
    ("食品经营许可证核发", "official", ("YM-SJJ-XK-011",)),
    ("不动产抵押权注销登记", "official", ("YM-BDC-QR-005",)),
    ("契税申报", "official", ("YM-SWJ-QT-005",)),
    ("租赁住房提取住房公积金", "official", ("YM-GJJ-GG-003",)),
    ("道路货物运输经营许可", "official", ("YM-JTJ-XK-002",)),
    ("生育登记", "official", ("YM-WJJ-GG-001",)),
    ("义务教育学校转学", "official", ("YM-JYJ-GG-003",)),
    ("残疾人证新办", "official", ("YM-CLH-GG-001",)),
    ("农村村民宅基地审批", "official", ("YM-NYJ-XK-001",)),
    ("排污许可证核发", "official", ("YM-STJ-XK-002",)),
    ("企业投资项目备案", "official", ("YM-FGJ-QT-001",)),
    # --- partial: part of the official name -----------------------------------------------------------
    ("出生", "partial", ("YM-GAJ-QR-001", "YM-WJJ-GG-002")),
    ("身份证换", "partial", ("YM-GAJ-QR-007",)),
    ("护照", "partial", ("YM-GAJ-XK-001",)),
    ("收养", "partial", ("YM-MZJ-QR-004",)),
    ("高龄津贴", "partial", ("YM-MZJ-JF-004",)),
    ("就业创业证", "partial", ("YM-RSJ-GG-001",)),
    ("门诊慢特病", "partial", ("YM-YBJ-QR-001",)),
    ("简易注销", "partial", ("YM-SJJ-XK-009",)),
    ("预告登记", "partial", ("YM-BDC-QR-006",)),
    ("居住权", "partial", ("YM-BDC-QR-011",)),
    ("建筑工程施工许可", "partial", ("YM-ZJJ-XK-001",)),
    ("个人所得税", "partial", ("YM-SWJ-GG-002",)),
    ("教师资格", "partial", ("YM-JYJ-XK-002",)),
    ("辅助器具", "partial", ("YM-CLH-GG-003",)),
    ("烟花爆竹", "partial", ("YM-YJJ-XK-001",)),
    ("建筑垃圾", "partial", ("YM-CGJ-XK-001",)),
    # --- everyday: what citizens actually type --------------------------------------------------------
    ("小孩刚出生怎么上户口", "everyday", ("YM-GAJ-QR-001",)),
    ("身份证过期了", "everyday", ("YM-GAJ-QR-007",)),
    ("户口本找不到了", "everyday", ("YM-GAJ-QR-004",)),
    ("驾照快到期了", "everyday", ("YM-GAJ-XK-006",)),
    ("买二手车办过户", "everyday", ("YM-GAJ-QR-011",)),
    ("跟对象去领证", "everyday", ("YM-MZJ-QR-001",)),
    ("低保怎么申请", "everyday", ("YM-MZJ-JF-001",)),
    ("办老年卡", "everyday", ("YM-MZJ-GG-002",)),
    ("失业了怎么领钱", "everyday", ("YM-RSJ-JF-001",)),
    ("上班时受伤了", "everyday", ("YM-RSJ-QR-001",)),
    ("到年龄了办退休手续", "everyday", ("YM-RSJ-JF-003",)),
    ("在外地看病用医保", "everyday", ("YM-YBJ-GG-002",)),
    ("看病自己垫的钱怎么报", "everyday", ("YM-YBJ-JF-001",)),
    ("开餐馆", "everyday", ("YM-SJJ-XK-011",)),
    ("想成立一家公司", "everyday", ("YM-SJJ-XK-001",)),
    ("房本丢了", "everyday", ("YM-BDC-QR-008",)),
    ("房贷还完了", "everyday", ("YM-BDC-QR-005",)),
    ("个税怎么退", "everyday", ("YM-SWJ-GG-002",)),
    ("房租能用公积金付吗", "everyday", ("YM-GJJ-GG-003",)),
    ("开汽修店", "everyday", ("YM-JTJ-QT-001",)),
    ("办准生证", "everyday", ("YM-WJJ-GG-001",)),
    ("外地户口孩子在县里读书", "everyday", ("YM-JYJ-GG-002",)),
    ("残疾等级评定", "everyday", ("YM-CLH-GG-001",)),
    ("种地补贴", "everyday", ("YM-NYJ-JF-002",)),
    ("刚退伍回县里报到", "everyday", ("YM-TYJ-GG-001",)),
    ("路边摆摊卖菜", "everyday", ("YM-CGJ-XK-005",)),
    # --- pinyin: full pinyin without tones ------------------------------------------------------------
    ("jiehundengji", "pinyin", ("YM-MZJ-QR-001",)),
    ("jie hun deng ji", "pinyin", ("YM-MZJ-QR-001",)),
    ("shenfenzheng", "pinyin", ("YM-GAJ-QR-006", "YM-GAJ-QR-007", "YM-GAJ-QR-008")),
    ("hukouben", "pinyin", ("YM-GAJ-QR-004",)),
    ("huzhao", "pinyin", ("YM-GAJ-XK-001",)),
    ("jiashizheng", "pinyin", ("YM-GAJ-XK-006",)),
    ("dibao", "pinyin", ("YM-MZJ-JF-001",)),
    ("shiyebaoxianjin", "pinyin", ("YM-RSJ-JF-001",)),
    ("gongshang rending", "pinyin", ("YM-RSJ-QR-001",)),
    ("yidijiuyi", "pinyin", ("YM-YBJ-GG-002",)),
    ("shipin jingying xukezheng", "pinyin", ("YM-SJJ-XK-011",)),
    ("qishui shenbao", "pinyin", ("YM-SWJ-QT-005",)),
    ("gongjijin daikuan", "pinyin", ("YM-GJJ-GG-005",)),
    ("zhuanxue", "pinyin", ("YM-JYJ-GG-003",)),
    ("gongzufang", "pinyin", ("YM-ZJJ-JF-001",)),
    # --- initials: pinyin initials --------------------------------------------------------------------
    ("sfz", "initials", ("YM-GAJ-QR-006", "YM-GAJ-QR-007", "YM-GAJ-QR-008")),
    ("hkb", "initials", ("YM-GAJ-QR-004",)),
    ("jhdj", "initials", ("YM-MZJ-QR-001",)),
    ("yyzz", "initials", ("YM-SJJ-XK-001", "YM-SJJ-XK-002")),
    ("sbk", "initials", ("YM-RSJ-GG-007", "YM-RSJ-GG-008")),
    ("gsrd", "initials", ("YM-RSJ-QR-001",)),
    ("ydjy", "initials", ("YM-YBJ-GG-002",)),
    ("wfzzm", "initials", ("YM-GAJ-GG-004",)),
    ("gzf", "initials", ("YM-ZJJ-JF-001",)),
    ("cjrz", "initials", ("YM-CLH-GG-001", "YM-CLH-GG-002")),
    # --- typo: pinyin with one wrong, missing or swapped letter ---------------------------------------
    ("jiehundnegji", "typo", ("YM-MZJ-QR-001",)),
    ("lihundengij", "typo", ("YM-MZJ-QR-002",)),
    ("shenfenzhneg", "typo", ("YM-GAJ-QR-006", "YM-GAJ-QR-007", "YM-GAJ-QR-008")),
    ("hukouebn", "typo", ("YM-GAJ-QR-004",)),
    ("huzaho", "typo", ("YM-GAJ-XK-001",)),
    ("chushengdenji", "typo", ("YM-GAJ-QR-001",)),
    ("shiyebaoxainjin", "typo", ("YM-RSJ-JF-001",)),
    ("gongjijn daikuan", "typo", ("YM-GJJ-GG-005",)),
    # --- mixed: Chinese and pinyin mixed --------------------------------------------------------------
    ("身份zheng", "mixed", ("YM-GAJ-QR-006", "YM-GAJ-QR-007", "YM-GAJ-QR-008")),
    ("结hun登记", "mixed", ("YM-MZJ-QR-001",)),
    ("jiehun证", "mixed", ("YM-MZJ-QR-001",)),
    ("户口ben丢了", "mixed", ("YM-GAJ-QR-004",)),
    ("驾驶zheng换证", "mixed", ("YM-GAJ-XK-006",)),
    ("公积jin贷款", "mixed", ("YM-GJJ-GG-005",)),
    ("房产zheng丢了", "mixed", ("YM-BDC-QR-008",)),
    ("残疾人zheng", "mixed", ("YM-CLH-GG-001", "YM-CLH-GG-002")),
    # --- traditional: typed in traditional characters -----------------------------------------------
    ("結婚登記", "traditional", ("YM-MZJ-QR-001",)),
    ("離婚登記", "traditional", ("YM-MZJ-QR-002",)),
    ("身份證換領", "traditional", ("YM-GAJ-QR-007",)),
    ("出生登記", "traditional", ("YM-GAJ-QR-001",)),
    ("異地就醫備案", "traditional", ("YM-YBJ-GG-002",)),
    ("失業保險金申領", "traditional", ("YM-RSJ-JF-001",)),
    ("公積金貸款", "traditional", ("YM-GJJ-GG-005",)),
    ("駕駛證換證", "traditional", ("YM-GAJ-XK-006",)),
    ("戶口本丟了", "traditional", ("YM-GAJ-QR-004",)),
    ("開飯店辦證", "traditional", ("YM-SJJ-XK-011",)),
    ("個體工商戶設立登記", "traditional", ("YM-SJJ-XK-002",)),
    ("無犯罪記錄證明", "traditional", ("YM-GAJ-GG-004",)),
    # --- homophone: a wrong character of the same sound from the input method's list --------------------
    ("身分证换领", "homophone", ("YM-GAJ-QR-007",)),
    ("结婚登纪", "homophone", ("YM-MZJ-QR-001",)),
    ("护口本丢了", "homophone", ("YM-GAJ-QR-004",)),
    ("异地就医被案", "homophone", ("YM-YBJ-GG-002",)),
    ("失业保显金", "homophone", ("YM-RSJ-JF-001",)),
    ("公基金贷款", "homophone", ("YM-GJJ-GG-005",)),
    ("驾使证换证", "homophone", ("YM-GAJ-XK-006",)),
    ("个体工伤户设立登记", "homophone", ("YM-SJJ-XK-002",)),
    ("食品经营许可正", "homophone", ("YM-SJJ-XK-011",)),
    ("契税申保", "homophone", ("YM-SWJ-QT-005",)),
    ("出生登急", "homophone", ("YM-GAJ-QR-001",)),
    ("离婚登计", "homophone", ("YM-MZJ-QR-002",)),
    # --- licence: what a shop or restaurant owner calls a licence or permit ----------------------------
    ("餐饮执照", "licence", ("YM-SJJ-XK-011",)),
    ("饭店卫生许可证", "licence", ("YM-SJJ-XK-011",)),
    ("理发店卫生证", "licence", ("YM-WJJ-XK-001",)),
    ("美容院卫生许可证怎么办", "licence", ("YM-WJJ-XK-001",)),
    ("开小店办营业执照", "licence", ("YM-SJJ-XK-002",)),
    ("个体户执照", "licence", ("YM-SJJ-XK-002",)),
    ("开药店要什么证", "licence", ("YM-SJJ-XK-014",)),
    ("网吧许可证", "licence", ("YM-WLJ-XK-002",)),
    ("卖鞭炮许可证", "licence", ("YM-YJJ-XK-001",)),
    ("店铺招牌审批", "licence", ("YM-CGJ-XK-002",)),
    ("KTV营业许可", "licence", ("YM-WLJ-XK-001",)),
    ("开宾馆特行证", "licence", ("YM-GAJ-XK-004",)),
]
