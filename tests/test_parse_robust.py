"""Any text at all parses without an exception, and every card it yields is complete."""

import pickle

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsehelp import parse

FRAGMENTS = [
    "\n",
    "\n\n",
    "> ",
    "> > ",
    "**",
    "1. ",
    "2、",
    "- ",
    "\t- ",
    "    ",
    "$$",
    "$",
    "`",
    "```",
    "```python",
    "# ",
    "### ",
    "？",
    "?",
    "为什么",
    "什么是注意力",
    "answer text",
    "TBD",
    "⭐️",
    "⚠️",
    "<font color=red>",
    "</font>",
    "![img](a.png)",
    '<img src="b.png" style="zoom:50%">',
    "\\frac{a}{b}",
    "x_1",
    "<!-- c -->",
    "[TOC]",
    "---\n",
    "}}",
    "<",
    "&",
    "|a|b|\n|-|-|\n",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join))
def test_any_markdown_parses_into_complete_cards(text):
    topic = parse(text)
    for question in topic.questions:
        assert question.prompt.strip()
        assert question.prompt_html.strip()
        assert question.answer_html.strip() or question.media
        assert question.origin.line >= 1
    for item in topic.unanswered:
        assert item.prompt.strip() and item.origin.line >= 1


def test_plain_prompt_is_pickled_once():
    """A prompt without markup is its own HTML: one string object, written once by pickle."""
    topic = parse("## Q\n\n**What is BPE?**\n\nByte pair encoding.\n")
    question = topic.questions[0]
    assert question.prompt_html is question.prompt
    assert pickle.loads(pickle.dumps(topic)) == topic
