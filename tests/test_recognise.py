"""The single-line decisions, one table each: what reads as a question, a label, a placeholder."""

import pytest
from markdown_it.token import Token

from ankigen.model import Flag
from ankigen.parse import recognise as rx


@pytest.mark.parametrize(
    "text",
    [
        "LSTM 网络结构？",
        "Why does dropout work?",
        "BN训练和测试时的参数是一样的嘛",
        "LSTM和GRU的区别和使用场景",
        "BERT的优缺点",
        "简单讲一下Transformer中的残差结构以及意义。",
        "神经网络的梯度下降介绍下",
        "一对夫妇有两个孩子，问另一个孩子也是男孩的概率。",
        "Q: define entropy",
        "问：什么是熵",
        "How do you handle class imbalance",
        "Explain beam search",
        "1、transformer结构，transformer 与lstm区别",
    ],
)
def test_reads_as_a_question(text):
    assert rx.is_question(text)


@pytest.mark.parametrize(
    "text",
    [
        "简介",
        "Skip-gram处理步骤",
        "最终的损失函数只计算被mask掉那个token。",
        "这个问题很难。",
        "（这样的好处就是：各参数做基本一致的变化）",
        "https://example.org/what-is-it?x=1",
        "Transformer 总结",
        "",
    ],
)
def test_does_not_read_as_a_question(text):
    assert not rx.is_question(text)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("实施过程", True),
        ("两种优化方法：分层softmax、负采样", True),
        ("方差较大，不同的 key 与同一个 query 算出的分数相差很大", False),
        ("只要把特征转换成语义label的空间就行了。", False),
        ("https://zhuanlan.zhihu.com/p/338817680", False),
    ],
)
def test_labels_are_short_names_not_sentences(text, label):
    assert rx.is_label(text) is label


def test_a_bold_line_heading_a_blockquote_may_carry_commas():
    assert rx.is_label("事件抽取，关系抽取， 实体抽取", heads_block=True)
    assert not rx.is_label("事件抽取，关系抽取， 实体抽取")


@pytest.mark.parametrize(
    ("text", "placeholder"),
    [
        ("TBD", True),
        ("**TODO**", True),
        ("待补充", True),
        ("不知道", True),
        (">", True),
        ("", True),
        ("Bert采用LayerNorm。**TBD**", False),
        ("梯度消失", False),
    ],
)
def test_placeholders(text, placeholder):
    assert rx.is_placeholder(text) is placeholder


def test_markers_map_to_flags_with_or_without_the_variation_selector():
    text, flags = rx.strip_markers("⭐️⚠Transformer⚡️❌")
    assert text == "Transformer"
    assert flags == {Flag.FREQUENT, Flag.INCOMPLETE, Flag.ASKED, Flag.UNKNOWN}


def test_numbering_is_not_part_of_the_question():
    assert rx.strip_numbering("12、为什么说ELMO是伪双向？") == "为什么说ELMO是伪双向？"
    assert rx.strip_numbering("（3）What is BPE?") == "What is BPE?"


def test_display_width_counts_cjk_double():
    assert rx.display_width("ab") == 2 and rx.display_width("简介") == 4


@pytest.mark.parametrize("text", ["", "ab", "简介", "a简b介c", "为什么？" * 5, "x" * 12, "ＡＢ"])
def test_fits_agrees_with_display_width(text):
    for columns in range(0, 2 * len(text) + 2):
        assert rx.fits(text, columns) == (rx.display_width(text) <= columns)


def test_plain_text_folds_every_kind_of_whitespace():
    odd = " \t\u3000a\xa0\x1c b\u2028\n"
    assert rx.plain_text([Token("text", "", 0, content=odd)]) == "a b"
    assert rx.plain_text([Token("text", "", 0, content=odd), Token("softbreak", "br", 0)]) == "a b"


def _placeholder_by_definition(text: str) -> bool:
    """is_placeholder as first written, without its early exit for long answers."""
    bare = rx._URL.sub(" ", text)
    if rx._URL.search(text) and not rx._PLACEHOLDER_STRIP.sub("", bare):
        return False
    bare = rx.ANSWER_LABEL.sub("", bare.strip())
    bare = rx._PLACEHOLDER_STRIP.sub(" ", bare).strip()
    if not bare or bare.casefold() in rx.PLACEHOLDERS:
        return True
    head, _, rest = bare.partition(" ")
    return head.casefold() in rx.PLACEHOLDERS and (not rest or bool(rx._REFERENCES.fullmatch(rest)))


def test_placeholder_early_exit_changes_no_answer():
    heads = ["FIXME", "fixme", "未完待续", "……", "不知道", "TODO!", "略", "x", "FIXMEE", ""]
    tails = [
        "",
        "References",
        "REFERENCES:",
        "see also",
        "参考资料",
        "links",
        "https://a.b/c",
        "xy",
    ]
    labels = ["", "答：", "**Answer:** ", "A: "]
    for head in heads:
        for tail in tails:
            for label in labels:
                for gap in (" ", "\n\n**", " - ", "  ~~ "):
                    text = f"{label}{head}{gap}{tail}"
                    assert rx.is_placeholder(text) == _placeholder_by_definition(text), text


@pytest.mark.parametrize(
    "text",
    [
        "plain words",
        "  ⭐️ Transformer",
        "<font color=red>Why?</font>",
        "&#x2B50; spelled as an entity",
        "**bold** and `code` and $x$",
        "a\\\n⚠ b",
    ],
)
def test_clean_inline_skips_only_what_it_would_not_change(text: str) -> None:
    from ankigen.markdown import new_markdown

    tokens = new_markdown().parse(text, {})
    inline = next(t for t in tokens if t.type == "inline")
    children = inline.children or []
    assert rx.clean_inline(children, inline.content) == rx.clean_inline(children)
