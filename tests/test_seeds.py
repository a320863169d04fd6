"""The user's own notes, end to end: build seeds/, import every package into real Anki.

The expected questions were written by reading the notes, not by running the parser: each
entry is (question as written, markers removed; a phrase of its answer that must be on the
card). The unanswered lists are the author's visible to-dos.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from ankigen.model import Flag, Level
from ankigen.pipeline import BuildConfig, build
from ankiutil import cards, fresh_collection, import_apkg

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
T0 = 1_767_225_600  # 2026-01-01, fixed so the test builds the same bytes every run

EXPECTED: dict[str, list[tuple[str, str]]] = {
    "dl-numbered-qa": [
        ("LSTM 网络结构？", "三个门"),
        ("假设输入维度为 m，输出为 n，求 GRU 参数？", "3*(nn+nm+n)"),
        ("CNN 有什么好处？", "参数共享"),
        ("卷积层输出 size？", "\\lfloor"),
        ("Attention 机制", "encoder-decoder attention"),
        ("孪生网络原理？", "Triplet Loss"),
        ("自注意力中为何要缩放？", "知识蒸馏"),
        ("ELMO？", "两阶段训练"),
        ("ERNIE：", "ERNIE2.0"),
        ("Transformer 中为什么用 Add 而不是 Concat？", "One-Hot"),
    ],
    "nlp-bullet-qa": [
        ("在NLP领域中，LN比BN更合适，为什么？", "batch"),
        ("transformer是如何捕获序列中的顺序信息呢？", "position embeddings"),
        ("BN训练和测试时的参数是一样的嘛？", "移动平均"),
        ("MSE和交叉熵区别", "正确类别"),
        ("过拟合", "Transfer Learning"),
        (
            "bert的mask为何不学习transformer在attention处进行屏蔽score的技巧？",
            "zhihu.com/question/318355038",
        ),
    ],
    "ml-qa-outline": [
        ("为什么BERT在第一句前会加一个[CLS]标志？（[unusedXX],[SEP],[UNK],[MASK]）", "NSP任务"),
        ("BERT的三个Embedding直接相加会对语义有影响吗？", "token-type id"),
        ("BERT是如何区分一词多义的？", "MLM训练目标"),
        ("非零中心的激活函数会导致参数更新变慢吗？", "\\frac{\\partial L}{\\partial w_i}"),
        ("ALBERT的小具体小在哪里？对实际储存和推理有帮助吗？", "分解embedding table"),
        ("BERT训练过程中的损失函数是什么？", "finetune阶段的损失函数"),
        ("RNN/LSTM/GRU › LSTM", "c_t = f_t\\odot c_{t-1}"),
        ("RNN/LSTM/GRU › GRU", "通过一个门z控制调节信息"),
        ("面试A&Q › Gradient Exploding & Vanishing", "梯度爆炸通常"),
        ("模型优化方向 › transfer learning", "替换分类层"),
    ],
    "nlp-interview-handbook": [
        ("Transformer为什么使用多头自注意力机制？", "子空间"),
        (
            "为什么在进行softmax之前需要对attention进行scaled（为什么除以dk的平方根），"
            "并使用公式推导进行讲解",
            "方差较大",  # a bold sentence inside the answer stays in it
        ),
        (
            "为什么transformer块使用LayerNorm而不是BatchNorm？"
            "LayerNorm 在Transformer的位置是哪里？",
            "CV使用BN",
        ),
        ("简单讲一下Transformer中的残差结构以及意义。", "网络退化"),
        ("相比于n-gram，为什么要用RNN？", "隐状态"),
        ("模型 › Transformer", "编码器和解码器都有n个"),
        ("Bert的参数量计算，一层一层说", "zhuanlan.zhihu.com/p/144582114"),
        ("聚类如果不清楚有多少类，有什么方法？", "层次聚类法"),
        ("数据不平衡怎么处理", "损失函数"),  # bold labels inside a question heading's answer
        ("为什么Dropout可以解决过拟合？", "取平均的作用"),
        ("XGBoost是怎么预防过拟合的？", "目标函数添加正则项"),
        ("现在有一些新闻，包含军事、体育、经济等，想分出它属于哪个类，该怎么做", "贝叶斯"),
    ],
}

UNANSWERED: dict[str, list[str]] = {
    "dl-numbered-qa": ["Dropout 作用、原理和实现？"],
    "nlp-bullet-qa": ["BN和LN的区别", "crf和hmm区别", "LM和MLM区别", "bert的位置编码是什么？"],
    "ml-qa-outline": [
        "为什么BERT选择mask掉15%比例的词，可以是其他比例吗？",
        "BERT和Transformer Encoder的差异有哪些？这些差异的目的是什么？",  # empty "> "
        "如何调整learning rate",
        "Transformer的点积模型做缩放的原因是什么？",
    ],
    "nlp-interview-handbook": [
        "卷积是什么样的过程？",
        "简单描述一下wordpiece model 和 byte pair encoding，有实际应用过吗？",
        "有什么要问的吗",
    ],
}

SUMMARIES = {  # the author's spoken short answers, each in its own field
    "相比于n-gram，为什么要用RNN？": "n元语法模型",
    "模型 › Transformer": "介绍一下Transformer？",
    "为什么Dropout可以解决过拟合？": "取平均的作用",
}

FLAGS = {
    "模型 › Transformer": Flag.FREQUENT,
    "Bert的参数量计算，一层一层说": Flag.ASKED,
    "BERT中Transformer中Self-attention后为什么要加前馈网络？": Flag.UNKNOWN,
    "Decoder阶段的多头自注意力和encoder的多头自注意力有什么区别？": Flag.INCOMPLETE,
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    work = tmp_path_factory.mktemp("seeds-build")
    notes = work / "seeds"
    shutil.copytree(SEEDS, notes, ignore=shutil.ignore_patterns("ankigen.lock"))
    report = build(BuildConfig(sources=(notes,), out_dir=work / "dist", now=T0))
    col = fresh_collection(work / "anki")
    for result in report.topics:
        assert result.package is not None
        counts = import_apkg(col, result.package)
        assert counts.new == len(result.notes) and counts.conflicting == 0
    notes_by_prompt: dict[str, dict] = {}
    for card in cards(col):
        note = card.note()
        notes_by_prompt.setdefault(note["Question"], {"note": note, "cards": []})["cards"].append(
            card
        )
    yield report, col, notes_by_prompt
    col.close()


def _plain(html: str) -> str:
    return (
        re.sub(r"<[^>]+>", "", html).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    )


def _find(notes_by_prompt: dict, prompt: str) -> dict:
    matches = [entry for question, entry in notes_by_prompt.items() if _plain(question) == prompt]
    assert len(matches) == 1, f"{prompt!r}: {len(matches)} cards"
    return matches[0]


def test_one_package_per_topic_with_no_errors(built):
    report, _, _ = built
    assert sorted(r.topic.name for r in report.topics) == sorted(EXPECTED)
    assert all(
        r.package is not None and r.package.name == f"{r.topic.name}.apkg" for r in report.topics
    )
    assert [d for d in report.all_diagnostics if d.level is Level.ERROR] == []


@pytest.mark.parametrize(
    ("topic", "prompt", "phrase"),
    [(topic, prompt, phrase) for topic, entries in EXPECTED.items() for prompt, phrase in entries],
)
def test_expected_question_is_one_card_with_its_own_answer(built, topic, prompt, phrase):
    _, col, notes_by_prompt = built
    entry = _find(notes_by_prompt, prompt)
    (card,) = entry["cards"]
    note = entry["note"]
    assert phrase in note["Answer"] + note["Summary"]
    assert col.decks.name(card.did).split("::")[0] == topic
    assert phrase in card.answer()  # what the learner sees after flipping


def test_answers_do_not_leak_into_their_neighbours(built):
    _, _, notes_by_prompt = built
    lstm = _find(notes_by_prompt, "RNN/LSTM/GRU › LSTM")["note"]["Answer"]
    assert "r_t" not in lstm and "通过一个门z" not in lstm
    residual = _find(notes_by_prompt, "简单讲一下Transformer中的残差结构以及意义。")["note"]
    assert "LayerNorm在多头注意力层" not in residual["Answer"]


@pytest.mark.parametrize(
    ("topic", "prompt"), [(t, p) for t, prompts in UNANSWERED.items() for p in prompts]
)
def test_unanswered_questions_are_todo_not_cards(built, topic, prompt):
    report, col, notes_by_prompt = built
    (result,) = [r for r in report.topics if r.topic.name == topic]
    assert prompt in [u.prompt for u in result.topic.unanswered]
    in_topic = [
        q
        for q, entry in notes_by_prompt.items()
        if _plain(q) == prompt and col.decks.name(entry["cards"][0].did).startswith(topic + "::")
    ]
    assert in_topic == []


def test_summaries_have_their_own_field(built):
    _, _, notes_by_prompt = built
    for prompt, phrase in SUMMARIES.items():
        assert phrase in _find(notes_by_prompt, prompt)["note"]["Summary"]


def test_markers_are_tags_not_text(built):
    _, _, notes_by_prompt = built
    for prompt, flag in FLAGS.items():
        note = _find(notes_by_prompt, prompt)["note"]
        assert flag.value in note.tags
    for question in notes_by_prompt:
        assert not re.search("[⭐⚠❌⚡]", question), question


def test_no_field_is_blank_and_no_dollar_math_is_left(built):
    _, _, notes_by_prompt = built
    for entry in notes_by_prompt.values():
        note = entry["note"]
        assert _plain(note["Question"]).strip()
        assert _plain(note["Answer"]).strip() or "<img" in note["Answer"]
        # the spoken summary is the author's plain text, shown as written: not checked
        for field in ("Question", "Answer", "Context"):
            text = re.sub(r"<(pre|code)\b.*?</\1>", "", note[field], flags=re.S)
            assert "$" not in text, (note["Question"], text)


def test_decks_follow_the_section_path(built):
    _, col, notes_by_prompt = built
    (card,) = _find(notes_by_prompt, "非零中心的激活函数会导致参数更新变慢吗？")["cards"]
    assert col.decks.name(card.did) == "ml-qa-outline::面试A&Q::零散问题::激活函数的问题"
    note = card.note()
    assert note["Context"] == "面试A&amp;Q › 零散问题 › 激活函数的问题"
    assert note["Source"] == "ml-qa-outline.md:15"


def test_cards_per_topic(built):
    """The measured outcome, so any change in recognition shows up here first."""
    report, _, _ = built
    counts = {r.topic.name: (len(r.notes), len(r.topic.unanswered)) for r in report.topics}
    assert counts == {
        "dl-numbered-qa": (16, 1),
        "ml-qa-outline": (59, 20),
        "nlp-bullet-qa": (9, 15),
        "nlp-interview-handbook": (135, 9),
    }


@pytest.mark.node
def test_every_formula_of_the_seeds_typesets_in_ankis_mathjax(built):
    """Anki's MathJax 3.2.2, Anki's configuration, the HTML the real collection renders."""
    from typeset import typeset_check

    _, col, _ = built
    sides = [side for card in cards(col) for side in (card.question(), card.answer())]
    results = typeset_check(sides)
    formulas = sum(r.formulas for r in results)
    errors = [(e.tex, e.message) for r in results for e in r.errors]
    written = sum(
        card.note()[field].count(opening)
        for card in cards(col)
        for field in ("Question", "Answer")
        for opening in ("\\(", "\\[")
    )
    assert written > 100 and formulas == written  # every formula on a card was typeset
    assert errors == []


def test_no_zhihu_formula_image_is_left(built):
    _, _, notes_by_prompt = built
    for entry in notes_by_prompt.values():
        note = entry["note"]
        assert "zhihu.com/equation" not in note["Question"] + note["Answer"]
