"""``ankigen watch``: a save rebuilds the changed topic; its own outputs never trigger a build."""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import pytest
import watchfiles

from ankigen.model import Report
from ankigen.pipeline import BuildConfig
from ankigen.watch import OutputFilter, watch

ML = "# ML\n\n**什么是过拟合？**\n\n训练好、测试差。\n"
CV = "# CV\n\n**什么是卷积？**\n\n局部加权求和。\n"
WAIT = 30.0  # seconds: a bound for a slow machine, not a speed requirement


def test_a_save_rebuilds_the_changed_topic_and_errors_do_not_stop_watching(
    tmp_path: Path,
) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "ml.md").write_text(ML, encoding="utf-8")
    (notes / "cv.md").write_text(CV, encoding="utf-8")
    # The output directory inside the watched folder: the build's writes must be ignored.
    config = BuildConfig(sources=(notes,), out_dir=notes / "dist", now=1_700_000_000)
    builds: queue.Queue[Report] = queue.Queue()
    stop = threading.Event()
    thread = threading.Thread(
        target=watch,
        kwargs={"config": config, "on_build": builds.put, "stop": stop, "debounce_ms": 100},
        daemon=True,
    )
    thread.start()
    try:
        first = builds.get(timeout=WAIT)
        assert {r.topic.name for r in first.topics} == {"cv", "ml"}
        package = notes / "dist" / "ml.apkg"
        before = package.read_bytes()

        def edit_until_rebuilt(text: str) -> Report:
            # The watcher starts right after the first build; edit until it has seen a save.
            for attempt in range(int(WAIT / 2)):
                (notes / "ml.md").write_text(text, encoding="utf-8")
                try:
                    report = builds.get(timeout=2)
                except queue.Empty:
                    continue
                if attempt:  # a retried save may have been seen twice: let that build land
                    while True:
                        try:
                            builds.get(timeout=1.0)
                        except queue.Empty:
                            break
                return report
            raise AssertionError("no rebuild after editing ml.md")

        second = edit_until_rebuilt(ML.replace("训练好", "训练集上好"))
        assert {r.topic.name: r.skipped for r in second.topics} == {"cv": True, "ml": False}
        assert package.read_bytes() != before

        # A note with an error is reported; watching goes on and the old package stays.
        (notes / "ml.md").write_bytes(b"# ML\n\n**Q?**\n\n\xff\n")
        broken = builds.get(timeout=WAIT)
        assert broken.errors == 1
        assert package.is_file()
        fixed = edit_until_rebuilt(ML.replace("训练好", "训练集上很好"))
        assert fixed.errors == 0
        assert thread.is_alive()

        # Nothing the builds wrote (packages, lock, cache) started another build.
        with pytest.raises(queue.Empty):
            builds.get(timeout=1.0)
    finally:
        stop.set()
        thread.join(timeout=WAIT)
    assert not thread.is_alive()


def test_the_filter_ignores_outputs_lock_and_temporary_files(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    config = BuildConfig(sources=(notes,), out_dir=notes / "dist")
    accept = OutputFilter(config)
    added = watchfiles.Change.added
    assert accept(added, str(notes / "ml.md"))
    assert accept(added, str(notes / "img" / "fig.png"))
    assert not accept(added, str(notes / "ankigen.lock"))
    assert not accept(added, str(notes / ".ankigen.lock.abc.tmp"))
    assert not accept(added, str(notes / "dist" / "ml.apkg"))
    assert not accept(added, str(notes / "dist" / ".ankigen-cache.json"))
    assert not accept(added, str(tmp_path / "elsewhere.md"))
