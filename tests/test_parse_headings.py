"""Heading-hierarchy notes (seed 001's style): sections, bold questions, concepts, markers."""

from ankigen.model import Flag, Kind
from parsehelp import card, parse, prompts, todo


def test_bold_question_takes_the_blocks_up_to_the_next_question():
    topic = parse(
        """
        ## Models
        **Why does attention scale by sqrt(d)?**

        Large dot products saturate the softmax.

        - gradients vanish

        **What is a residual connection?**

        A shortcut that adds the input to the output.
        """
    )
    assert prompts(topic) == [
        "Why does attention scale by sqrt(d)?",
        "What is a residual connection?",
    ]
    first = card(topic, "Why does attention scale by sqrt(d)?")
    assert "saturate" in first.answer_html and "gradients vanish" in first.answer_html
    assert "shortcut" not in first.answer_html
    assert first.path == ("Models",)
    assert first.origin.line == 2


def test_bold_sentences_inside_an_answer_stay_in_it():
    topic = parse(
        """
        **为什么要缩放？**

        方差较大时：

        **方差较大，不同的 key 与同一个 query 算出的分数可能相差很大。**

        所以要除以 dk 的平方根。
        """
    )
    assert prompts(topic) == ["为什么要缩放？"]
    answer = topic.questions[0].answer_html
    assert "相差很大" in answer and "平方根" in answer


def test_a_short_bold_label_after_a_question_starts_a_concept():
    topic = parse(
        """
        ### LSTM
        **LSTM和GRU的区别？**

        GRU 更简单。

        **双向LSTM**

        每个时间步的隐状态由前后数据同时决定。
        """
    )
    assert prompts(topic) == ["LSTM和GRU的区别？", "LSTM › 双向LSTM"]
    assert "GRU 更简单" in card(topic, "LSTM和GRU的区别？").answer_html
    concept = card(topic, "LSTM › 双向LSTM")
    assert concept.kind is Kind.CONCEPT and "前后数据" in concept.answer_html


def test_a_question_heading_owns_its_whole_section_even_its_bold_labels():
    topic = parse(
        """
        ### 数据不平衡怎么处理

        **数据**

        过采样、欠采样。

        **损失函数**

        Focal loss。

        ### 下一节
        """
    )
    assert prompts(topic) == ["数据不平衡怎么处理"]
    answer = topic.questions[0].answer_html
    assert "过采样" in answer and "Focal loss" in answer


def test_a_heading_with_explanation_but_no_question_is_a_concept_card():
    topic = parse(
        """
        ## 模型
        ### word2vec

        https://example.org/word2vec

        它将每个词映射到一个固定长度的向量。
        """
    )
    concept = card(topic, "模型 › word2vec")
    assert concept.kind is Kind.CONCEPT
    assert concept.path == ("模型",)
    assert "固定长度" in concept.answer_html


def test_a_heading_with_only_links_or_nothing_is_context_not_a_card():
    topic = parse(
        """
        ## Reading
        https://example.org/a

        ## Empty
        """
    )
    assert topic.questions == () and topic.unanswered == ()


def test_an_empty_question_heading_is_on_the_todo_list():
    topic = parse(
        """
        ### ⚠️卷积是什么样的过程？

        ### beam search
        beam search 在广度优先的基础上剪枝。
        """
    )
    assert todo(topic) == ["卷积是什么样的过程？"]
    assert topic.unanswered[0].flags == frozenset({Flag.INCOMPLETE})
    assert prompts(topic) == ["beam search"]


def test_markers_become_flags_and_leave_the_text():
    topic = parse(
        """
        ### ⭐️Transformer
        Transformer 是纯注意力的编码-解码器。

        ⚡️<font color=red>**Bert的参数量怎么算？**</font>

        一层一层算。

        ❌**wordpiece 和 BPE 的区别？**

        分词粒度不同。
        """
    )
    assert card(topic, "Transformer").flags == frozenset({Flag.FREQUENT})
    asked = card(topic, "Bert的参数量怎么算？")
    assert asked.flags == frozenset({Flag.ASKED})
    assert "font" not in asked.prompt_html and "⚡" not in asked.prompt_html
    assert card(topic, "wordpiece 和 BPE 的区别？").flags == frozenset({Flag.UNKNOWN})


def test_asked_in_an_interview_makes_a_statement_a_question():
    topic = parse(
        """
        ⚡️<font color=red>**BatchNorm的参数和计算过程**</font>

        两个可学习参数 gamma 和 beta。
        """
    )
    assert topic.questions[0].kind is Kind.QUESTION


def test_a_bare_fenced_block_under_a_question_is_the_spoken_summary():
    topic = parse(
        """
        **相比于n-gram，为什么要用RNN？**

        ```
        n-gram 只看前 n-1 个词。
        RNN 的隐状态记住了全部历史。
        ```

        详细推导见下图。
        """
    )
    question = topic.questions[0]
    assert question.summary_html == "n-gram 只看前 n-1 个词。<br>RNN 的隐状态记住了全部历史。"
    assert "详细推导" in question.answer_html and "<pre" not in question.answer_html


def test_the_summary_may_follow_reference_links():
    topic = parse(
        """
        ### Transformer
        https://example.org/transformer-explained

        ```
        介绍一下Transformer？
        纯注意力的编码-解码器。
        ```
        """
    )
    assert "纯注意力" in (topic.questions[0].summary_html or "")


def test_a_fenced_block_with_a_language_is_code_in_the_answer():
    topic = parse(
        """
        **How do you freeze a layer?**

        ```python
        layer.requires_grad_(False)
        ```
        """
    )
    question = topic.questions[0]
    assert question.summary_html is None
    assert "requires_grad_" in question.answer_html


def test_a_summary_alone_is_the_answer():
    topic = parse(
        """
        **How does Nesterov momentum look ahead?**

        ```
        It evaluates the gradient at the look-ahead point.
        ```
        """
    )
    question = topic.questions[0]
    assert "look-ahead point" in question.answer_html
    assert question.summary_html is None


def test_placeholder_answers_are_todo_not_cards():
    topic = parse(
        """
        **What is BPE?**

        TBD

        **什么是 wordpiece？**

        不知道

        **What is a tokenizer?**

        （2022 字节二面）

        **What is a lexer?**

        It splits text into tokens. TODO: examples.
        """
    )
    assert todo(topic) == ["What is BPE?", "什么是 wordpiece？", "What is a tokenizer?"]
    assert prompts(topic) == ["What is a lexer?"]
    assert Flag.INCOMPLETE in topic.questions[0].flags


def test_a_bare_short_question_names_its_section():
    topic = parse(
        """
        ### sigmoid
        **缺点**

        梯度消失。

        ### tanh
        **缺点**

        仍有梯度消失。
        """
    )
    assert prompts(topic) == ["sigmoid › 缺点", "tanh › 缺点"]


def test_comments_and_toc_are_not_content():
    topic = parse(
        """
        [TOC]

        ### Glove
        <!-- a note to self -->
        """
    )
    assert topic.questions == ()


def test_a_typora_bold_with_a_trailing_space_is_still_a_label():
    topic = parse(
        """
        > **Topic Model **

        > **Next**
        >
        > Content here.
        """
    )
    assert prompts(topic) == ["Next"]


def test_a_files_title_and_repository_sections_frame_the_notes_but_are_not_cards():
    topic = parse(
        """
        # Machine Learning Interview Questions

        A curated list of questions. PRs welcome!

        ## Fundamentals

        ### What is overfitting?

        The model fits noise.

        ## Contributing

        Open a pull request.
        """
    )
    assert prompts(topic) == ["What is overfitting?"]
    assert topic.questions[0].path == ("Machine Learning Interview Questions", "Fundamentals")
