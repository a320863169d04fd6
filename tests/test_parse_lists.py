"""Blockquote outlines (seed 002), numbered Q&A (003), bullet Q&A (004), plain questions."""

from ankigen.model import Kind
from parsehelp import card, parse, prompts, todo


def test_outline_items_are_questions_and_deeper_quotes_their_answers():
    topic = parse(
        """
        > **BERT**
        >
        > > 1. 为什么BERT在第一句前会加一个[CLS]标志？
        > >
        > >    > [CLS] 的输出用于分类任务。
        > >
        > > 2. BERT的三个Embedding直接相加会对语义有影响吗？
        > >
        > > 3. BERT和Transformer Encoder的差异有哪些？
        > >
        > >    >
        """
    )
    assert prompts(topic) == ["为什么BERT在第一句前会加一个[CLS]标志？"]
    question = topic.questions[0]
    assert question.path == ("BERT",)
    assert "分类任务" in question.answer_html
    assert "<blockquote>" not in question.answer_html  # the quote is how the answer is marked
    assert todo(topic) == [
        "BERT的三个Embedding直接相加会对语义有影响吗？",
        "BERT和Transformer Encoder的差异有哪些？",
    ]


def test_nested_labels_build_the_section_path():
    topic = parse(
        """
        ## 面试
        > **零散问题**
        >
        > > **激活函数的问题**
        > >
        > > > 1. 非零中心的激活函数会导致参数更新变慢吗？
        > > >
        > > >    会，梯度符号一致导致 zig-zag。
        """
    )
    question = topic.questions[0]
    assert question.path == ("面试", "零散问题", "激活函数的问题")
    assert "zig-zag" in question.answer_html


def test_a_label_with_content_is_a_concept_and_a_bare_label_is_nothing():
    topic = parse(
        """
        > **Focal Loss**

        > **Gradient Exploding & Vanishing**
        >
        > 梯度爆炸通常是由于参数初始化过大。
        """
    )
    assert prompts(topic) == ["Gradient Exploding & Vanishing"]
    assert topic.questions[0].kind is Kind.CONCEPT


def test_a_label_on_the_first_line_of_a_paragraph_still_heads_it():
    topic = parse(
        """
        > **BatchNorm/LayerNorm**
        > Batch Normalization: Accelerating Deep Network Training
        """
    )
    concept = card(topic, "BatchNorm/LayerNorm")
    assert (
        "Accelerating" in concept.answer_html and "BatchNorm/LayerNorm" not in concept.answer_html
    )


def test_display_math_inside_a_quoted_list_item_reaches_the_answer():
    topic = parse(
        """
        > > 1. 参数更新的梯度怎么算？
        > >
        > >    $$
        > >    \\frac{\\partial L}{\\partial w_i} = x_i
        > >    $$
        """
    )
    answer = topic.questions[0].answer_html
    assert "\\[" in answer and "\\frac{\\partial L}{\\partial w_i}" in answer and "$$" not in answer


def test_numbered_questions_with_indented_answers():
    topic = parse(
        """
        1. LSTM 网络结构？

            包括三个门：
            $$
            \\Gamma_u = \\sigma(W_u x + b_u)
            $$

        2. Attention 机制

            从输入中有选择地聚焦到重要信息上。

            - encoder-decoder attention
            - self-attention

        3. Dropout 作用、原理和实现？
        """
    )
    assert prompts(topic) == ["LSTM 网络结构？", "Attention 机制"]
    assert "\\Gamma_u" in card(topic, "LSTM 网络结构？").answer_html
    assert "self-attention" in card(topic, "Attention 机制").answer_html
    assert todo(topic) == ["Dropout 作用、原理和实现？"]


def test_a_list_of_steps_inside_a_concept_is_content_not_questions():
    topic = parse(
        """
        ### 数据集划分

        1. 按一定比例划分为训练集和测试集
        2. 训练集、验证集、测试集法
        3. 交叉验证法
        """
    )
    assert prompts(topic) == ["数据集划分"]
    assert "交叉验证法" in topic.questions[0].answer_html


def test_bullet_questions_with_numbering_and_nested_answers():
    topic = parse(
        """
        - 1、在NLP领域中，LN比BN更合适，为什么？
            - 句子长度不一致。
            - 同一位置的字语义不同。
        - 2、BN和LN的区别

        - 3、过拟合
        \t- Regularization：加正则项。
        \t- Dropout：随机置零。
        """
    )
    assert prompts(topic) == ["在NLP领域中，LN比BN更合适，为什么？", "过拟合"]
    assert "语义不同" in card(topic, "在NLP领域中，LN比BN更合适，为什么？").answer_html
    assert "随机置零" in card(topic, "过拟合").answer_html  # tab-indented answer
    assert todo(topic) == ["BN和LN的区别"]


def test_english_q_prefixes_and_question_headings():
    topic = parse(
        """
        # Statistics

        ## What is the bias-variance trade-off?

        Lower bias usually costs variance.

        **Q: Define p-value.**

        The probability of data at least as extreme under H0.
        """
    )
    assert prompts(topic) == ["What is the bias-variance trade-off?", "Define p-value."]
    assert card(topic, "What is the bias-variance trade-off?").path == ("Statistics",)


def test_plain_paragraph_questions_open_cards():
    topic = parse(
        """
        ## 场景题

        现在有一些新闻，想分出它属于哪个类，该怎么做

        ```
        分词、去停用词，然后贝叶斯
        ```



        一句话中有一个错别字，如何快速找到

        先检测，再召回候选，最后打分排序。
        """
    )
    assert prompts(topic) == [
        "现在有一些新闻，想分出它属于哪个类，该怎么做",
        "一句话中有一个错别字，如何快速找到",
    ]
    assert "贝叶斯" in topic.questions[0].answer_html


def test_a_run_of_short_topic_lines_is_an_outline_whose_questions_are_todo():
    topic = parse(
        """
        > **零散问题**
        >
        > epoch和batch的设置意义
        >
        > 如何调整learning rate
        >
        > 孪生网络
        >
        > 分词，POS
        """
    )
    assert prompts(topic) == []
    assert todo(topic) == ["epoch和batch的设置意义", "如何调整learning rate"]


def test_a_problem_set_heading_reads_plain_lines_as_problems():
    topic = parse(
        """
        ### 概率题

        圆上三个点，钝角三角形的概率



        一组数据同时扩大n倍，方差和均值的变化

        方差变为 n² 倍，均值变为 n 倍。
        """
    )
    assert todo(topic) == ["圆上三个点，钝角三角形的概率"]
    assert prompts(topic) == ["一组数据同时扩大n倍，方差和均值的变化"]


def test_every_question_knows_its_line():
    topic = parse(
        """
        # T

        - 1、first question？
            - answer
        - 2、second question？
            - answer
        """
    )
    assert [q.origin.line for q in topic.questions] == [3, 5]


def test_github_interview_repo_habits():
    """Numbered question headings, answers folded in <details>, Q:/A: labels."""
    topic = parse(
        """
        ## Supervised learning

        ### 1. What is overfitting?

        <details>
        <summary>Answer</summary>

        The model learns noise. Use **regularization**.

        </details>

        **Q:** What is a confusion matrix?

        **A:** A table of predicted vs actual classes.

        Q: 什么是 1.5 倍加速？
        答：快一半。
        """
    )
    assert prompts(topic) == [
        "What is overfitting?",
        "What is a confusion matrix?",
        "什么是 1.5 倍加速？",
    ]
    overfitting = card(topic, "What is overfitting?")
    assert "learns noise" in overfitting.answer_html
    assert "details" not in overfitting.answer_html and "summary" not in overfitting.answer_html
    assert "confusion" not in overfitting.answer_html
    assert card(topic, "What is a confusion matrix?").answer_html == (
        "<p>A table of predicted vs actual classes.</p>"
    )
    assert card(topic, "什么是 1.5 倍加速？").answer_html == "<p>快一半。</p>"


def test_a_list_right_under_a_question_answers_it_even_when_its_items_ask():
    topic = parse(
        """
        **What are the trade-offs of batch norm?**

        1. Why is it fast? It keeps activations well scaled.
        2. Why is it unstable with small batches? Noisy statistics.
        """
    )
    assert prompts(topic) == ["What are the trade-offs of batch norm?"]
    assert "Noisy statistics" in topic.questions[0].answer_html


def test_details_summary_that_asks_is_the_question():
    topic = parse(
        """
        ## Python

        <details>
        <summary>What is the GIL?</summary>

        A mutex that lets one thread run Python bytecode at a time.

        </details>

        <details><summary><b>Q2. What is a decorator?</b></summary>
        A function that takes a function and returns a new one.
        </details>
        """
    )
    assert prompts(topic) == ["What is the GIL?", "What is a decorator?"]
    assert "one thread" in card(topic, "What is the GIL?").answer_html
    assert "returns a new one" in card(topic, "What is a decorator?").answer_html


def test_obsidian_question_callouts_are_cards():
    topic = parse(
        """
        ## Attention

        > [!question]- Why scale the dot product by $\\sqrt{d_k}$?
        > The softmax saturates for large $d_k$.

        > [!faq] Multi-head attention
        > Several heads attend in parallel to different projections.
        """
    )
    assert prompts(topic) == [
        "Why scale the dot product by $\\sqrt{d_k}$?",
        "Multi-head attention",  # a [!faq] asks by its type, whatever its words
    ]
    assert "saturates" in topic.questions[0].answer_html
    assert "[!" not in topic.questions[0].answer_html + topic.questions[0].prompt_html


def test_q_and_a_bullets_pair_up():
    topic = parse(
        """
        ## TCP

        - Q: What are the three steps of the TCP handshake?
        - A: SYN, SYN-ACK, ACK.

        - Q: What is the difference between TCP and UDP?
          A: TCP is reliable; UDP is best-effort.
        """
    )
    assert prompts(topic) == [
        "What are the three steps of the TCP handshake?",
        "What is the difference between TCP and UDP?",
    ]
    assert topic.questions[0].answer_html == "<p>SYN, SYN-ACK, ACK.</p>"
    assert topic.questions[1].answer_html == "<p>TCP is reliable; UDP is best-effort.</p>"


def test_a_bold_question_item_with_its_answer_after_it():
    topic = parse(
        """
        1. **What is a write-through cache?**
           Writes go to cache and DB synchronously.
        2. **When would you use a CDN?** To serve static content close to users.
        """
    )
    assert prompts(topic) == ["What is a write-through cache?", "When would you use a CDN?"]
    assert "synchronously" in topic.questions[0].answer_html
    assert topic.questions[1].answer_html.startswith("To serve static")


def test_plain_questions_in_a_row_are_siblings():
    topic = parse(
        """
        ### 分库分表

        为什么要分库分表？
        - 写入水平扩展

        分库分表有什么缺点？
        - 跨分片 join 困难
        """
    )
    assert prompts(topic) == ["为什么要分库分表？", "分库分表有什么缺点？"]
    assert "join" not in topic.questions[0].answer_html


def test_inline_q_and_a_labels_in_one_paragraph():
    topic = parse(
        """
        **Q1.** What record maps a name to an IPv4 address? **A.** An `A` record.

        Q. How does Raft elect a leader?
        Ans. A candidate with votes from a majority wins.

        ### 4. Explain the difference between L1 and L2 regularization.

        **Answer:**

        L1 produces sparse weights.
        """
    )
    assert prompts(topic) == [
        "What record maps a name to an IPv4 address?",
        "How does Raft elect a leader?",
        "Explain the difference between L1 and L2 regularization.",
    ]
    assert topic.questions[0].answer_html == "<p>An <code>A</code> record.</p>"
    assert topic.questions[1].answer_html == "<p>A candidate with votes from a majority wins.</p>"
    assert topic.questions[2].answer_html == "<p>L1 produces sparse weights.</p>"


def test_double_colon_lines_are_one_card_each():
    topic = parse(
        """
        What port does HTTPS use by default? :: 443
        HTTP/2 multiplexing :: many streams over one connection
        """
    )
    assert prompts(topic) == ["What port does HTTPS use by default?", "HTTP/2 multiplexing"]
    assert [q.answer_html for q in topic.questions] == [
        "<p>443</p>",
        "<p>many streams over one connection</p>",
    ]


def test_a_placeholder_followed_by_references_is_still_todo():
    topic = parse(
        """
        #### 6.Adam 优化器的原理？

        答：待补充

        **参考资料**

        - https://arxiv.org/abs/1412.6980
        """
    )
    assert todo(topic) == ["Adam 优化器的原理？"]


def test_navigation_is_not_content():
    topic = parse(
        """
        ## Table of contents

        - [Fundamentals](#fundamentals)
        - [Deep learning](#deep-learning)

        ## Fundamentals

        ### 1. What is overfitting?

        The model fits noise in the training data.

        [⬆ Back to top](#table-of-contents)
        """
    )
    assert prompts(topic) == ["What is overfitting?"]
    assert "Back to top" not in topic.questions[0].answer_html


def test_obsidian_inline_syntax_reads_as_obsidian_shows_it(tmp_path):
    (tmp_path / "attachments").mkdir()
    (tmp_path / "attachments" / "scaled-dot.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    topic = parse(
        """
        **Why scale the dot product?**

        The softmax ==saturates==; see [[Softmax|the softmax note]] and [[Attention#Heads]].

        ![[scaled-dot.png|300]]

        #todo #attention
        """,
        root=tmp_path,
    )
    (question,) = topic.questions
    assert "<mark>saturates</mark>" in question.answer_html
    assert "see the softmax note and Attention." in question.answer_html
    assert "[[" not in question.answer_html and "#todo" not in question.answer_html
    (image,) = question.media  # found by name anywhere under the notes, as Obsidian does
    assert image.source == (tmp_path / "attachments" / "scaled-dot.png").resolve()
    assert f'src="{image.name}"' in question.answer_html


def test_bracketed_alt_text_is_still_a_markdown_image():
    topic = parse(
        "**复杂度？**\n\n从 ![[公式]](https://www.zhihu.com/equation?tex=O%28V%29) 降低\n"
    )
    assert "\\(O(V)\\)" in topic.questions[0].answer_html


def test_definition_lists_are_questions_or_concepts():
    topic = parse(
        """
        ## Training tricks

        Why use label smoothing?
        : It prevents over-confident predictions.

        Thrashing
        : The system spends more time paging than executing.
        """
    )
    assert prompts(topic) == ["Why use label smoothing?", "Training tricks › Thrashing"]
    assert [q.kind for q in topic.questions] == [Kind.QUESTION, Kind.CONCEPT]
    assert "over-confident" in topic.questions[0].answer_html
