"""Benchmark: ankigen on a synthetic vault against markdown-it-py and genanki alone.

    python bench/bench.py                      # 200 files, 20,000 questions
    python bench/bench.py --files 40 --questions 4000 --profile

Generates a vault in the seeds' four styles (heading + bold questions, blockquote outlines,
numbered Q&A, bullet Q&A) at the seeds' density (~600 bytes of Markdown per question, as
the seeds have per card; ``--light``: ~320), with display and inline math and local images,
then times, each in a fresh process so peak memory is per run:

* the floors: markdown-it-py (ankigen's configured instance, same plugins) parsing every file,
  and genanki writing the same number of notes, into one package and into one package per
  file (what a build writes);
* a full build (all cores, and one core), a no-op rebuild and a one-file-edit rebuild;
* the full build again at a quarter of the size, to see that memory grows linearly.

A script, not a test: timings depend on the machine. ``--profile`` prints a cProfile of a
serial full build.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8"
    "cfc0f01f0005000201e2b0f1e40000000049454e44ae426082"
)
WORDS = [
    "梯度",
    "模型",
    "训练",
    "注意力",
    "编码器",
    "解码器",
    "正则化",
    "损失",
    "参数",
    "批量",
    "归一化",
    "卷积",
    "池化",
    "序列",
    "嵌入",
    "向量",
    "softmax",
    "attention",
    "dropout",
    "embedding",
    "layer",
    "token",
    "batch",
    "gradient",
    "encoder",
    "decoder",
]
MATH_BLOCK = (
    "$$\n\\frac{\\partial L}{\\partial w_{%d}} = \\sum_i x_i \\delta_i + \\lambda w_{%d}\n$$"
)


def _sentence(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(WORDS) + (" " if rng.random() < 0.3 else "") for _ in range(n))


def _answer(rng: random.Random, q: int, images: int, dense: bool) -> list[str]:
    lines = [f"{_sentence(rng, 18)}，其中 $x_{{{q}}}^2 + y$ 很关键。"]
    if dense:  # the seeds' density: ~600 bytes of Markdown per card, not ~320
        lines += ["", f"{_sentence(rng, 36)}。"]
    if q % 3 == 0:
        lines += ["", *(MATH_BLOCK % (q, q)).split("\n")]
    if q % 5 == 0:
        lines += ["", f"![fig](img/fig{q % images}.png)"]
    if q % 4 == 0:
        lines += ["", f"- {_sentence(rng, 8)}", f"- {_sentence(rng, 8)}"]
    return lines


def _indent(lines: list[str], prefix: str) -> list[str]:
    return [(prefix + line).rstrip() if line else prefix.rstrip() for line in lines]


def note_file(style: int, file_no: int, questions: int, images: int, dense: bool = True) -> str:
    """One note file of ``questions`` questions in one of the seeds' four styles."""
    rng = random.Random(file_no)
    out: list[str] = [f"# 笔记 {file_no}", ""]
    for i in range(questions):
        q = file_no * 100_000 + i
        prompt = f"{_sentence(rng, 5)} {q} 是什么？"
        answer = _answer(rng, q, images, dense)
        if i % 10 == 0:  # a section every ten questions
            out += [f"## 第 {i // 10} 节", ""] if style != 1 else [f"> **主题 {i // 10}**", ">"]
        if style == 0:  # heading + bold question paragraphs
            out += [f"**{prompt}**", "", *answer, ""]
        elif style == 1:  # blockquote outline: numbered questions, answers one level deeper
            out += _indent([f"{i % 10 + 1}. {prompt}", "", *_indent(answer, "   ")], "> > ")
            out += [">"]
        elif style == 2:  # numbered Q&A
            out += [f"{i + 1}. {prompt}", "", *_indent(answer, "    "), ""]
        else:  # bullet Q&A
            out += [
                f"- {i + 1}、{prompt}",
                *_indent(answer, "    - ")[:1],
                *_indent(answer[1:], "    "),
                "",
            ]
    return "\n".join(out) + "\n"


def make_vault(
    root: Path, files: int, questions: int, images: int = 20, *, dense: bool = True
) -> Path:
    notes = root / "notes"
    (notes / "img").mkdir(parents=True)
    for n in range(images):
        (notes / "img" / f"fig{n}.png").write_bytes(PNG + n.to_bytes(2, "big"))
    per_file = questions // files
    for n in range(files):
        text = note_file(n % 4, n, per_file, images, dense)
        (notes / f"note{n:04d}.md").write_text(text, encoding="utf-8")
    return notes


# --- child processes: one measurement each ---------------------------------------------------


def _peak() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_mib": round(own, 1), "workers_peak_mib": round(children, 1)}


def child_parse_floor(notes: Path) -> dict[str, Any]:
    from ankigen.markdown import new_markdown

    texts = [p.read_text(encoding="utf-8") for p in sorted(notes.glob("*.md"))]
    md = new_markdown()
    started = time.perf_counter()
    tokens = sum(len(md.parse(text)) for text in texts)
    return {"seconds": time.perf_counter() - started, "tokens": tokens}


def child_genanki_floor(count: int, out: Path, packages: int) -> dict[str, Any]:
    """genanki alone writing ``count`` notes into ``packages`` packages: one, or one per
    topic, as a build must (the design card: one .apkg per topic)."""
    import genanki

    model = genanki.Model(
        1_234_567,
        "bench",
        fields=[{"name": "Question"}, {"name": "Answer"}],
        templates=[{"name": "Card", "qfmt": "{{Question}}", "afmt": "{{Answer}}"}],
    )
    rng = random.Random(0)
    fields = [(_sentence(rng, 6), "<p>" + _sentence(rng, 60) + "</p>") for _ in range(count)]
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for n in range(packages):
        deck = genanki.Deck(2_345_678 + n, f"bench{n}")
        for question, answer in fields[n::packages]:
            deck.add_note(genanki.Note(model=model, fields=[question, answer]))
        genanki.Package(deck).write_to_file(out / f"floor{n}.apkg")
    return {"seconds": time.perf_counter() - started}


def child_build(notes: Path, out: Path, jobs: int | None, incremental: bool) -> dict[str, Any]:
    from ankigen.pipeline import BuildConfig, build

    config = BuildConfig(
        sources=(notes,), out_dir=out, now=1_700_000_000, jobs=jobs, incremental=incremental
    )
    started = time.perf_counter()
    report = build(config)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "cards": sum(len(r.notes) for r in report.topics),
        "rebuilt": sum(1 for r in report.topics if not r.skipped),
        "errors": report.errors,
        "warnings": report.warnings,
    }


def child_profile(notes: Path, out: Path) -> None:
    import cProfile
    import pstats

    from ankigen.pipeline import BuildConfig, build

    config = BuildConfig(sources=(notes,), out_dir=out, now=1_700_000_000, jobs=1)
    profile = cProfile.Profile()
    profile.runcall(build, config)
    stats = pstats.Stats(profile, stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(35)
    stats.sort_stats("tottime").print_stats(25)


def run_child(*args: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    data: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return data


def child_main(args: list[str]) -> None:
    kind = args[0]
    if kind == "idle":  # the interpreter with ankigen's build imported, nothing read yet
        import ankigen.pipeline  # noqa: F401

        data: dict[str, Any] = {"seconds": 0.0}
    elif kind == "parse":
        data = child_parse_floor(Path(args[1]))
    elif kind == "genanki":
        data = child_genanki_floor(int(args[1]), Path(args[2]), int(args[3]))
    elif kind == "build":
        jobs = None if args[3] == "auto" else int(args[3])
        data = child_build(Path(args[1]), Path(args[2]), jobs, args[4] == "incremental")
    elif kind == "profile":
        child_profile(Path(args[1]), Path(args[2]))
        return
    else:
        raise SystemExit(f"unknown child {kind}")
    data.update(_peak())
    print(json.dumps(data))


# --- the run ---------------------------------------------------------------------------------


def best_of(runs: int, measure_once: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The fastest of ``runs`` fresh-process runs (the others were slowed by something
    else on the machine); peak memory is the highest seen."""
    results = [measure_once() for _ in range(runs)]
    best = min(results, key=lambda r: r["seconds"])
    return {**best, "peak_mib": max(r["peak_mib"] for r in results), "runs": runs}


def measure(
    root: Path, files: int, questions: int, label: str, runs: int, dense: bool
) -> dict[str, Any]:
    notes = make_vault(root / label, files, questions, dense=dense)
    size = sum(p.stat().st_size for p in notes.glob("*.md"))
    out = root / label / "dist"
    results: dict[str, Any] = {"files": files, "questions": questions, "bytes": size}
    results["idle"] = run_child("idle")
    results["parse_floor"] = best_of(runs, lambda: run_child("parse", str(notes)))
    results["genanki_floor"] = best_of(
        runs, lambda: run_child("genanki", str(questions), str(root / "floor"), "1")
    )
    results["genanki_per_topic"] = best_of(
        runs, lambda: run_child("genanki", str(questions), str(root / "floor"), str(files))
    )

    def full_build() -> dict[str, Any]:
        shutil.rmtree(out, ignore_errors=True)
        (notes / "ankigen.lock").unlink(missing_ok=True)
        return run_child("build", str(notes), str(out), "auto", "incremental")

    results["full"] = best_of(runs, full_build)
    results["noop"] = best_of(
        runs, lambda: run_child("build", str(notes), str(out), "auto", "incremental")
    )
    edited = sorted(notes.glob("*.md"))[files // 2]
    original = edited.read_text(encoding="utf-8")

    def one_edit() -> dict[str, Any]:
        # a different edit each time: the first question's wording, back and forth
        now = edited.read_text(encoding="utf-8")
        text = original.replace("是什么？", "是什么呢？", 1) if now == original else original
        edited.write_text(text, encoding="utf-8")
        return run_child("build", str(notes), str(out), "auto", "incremental")

    results["one_edit"] = best_of(runs, one_edit)

    def serial_build() -> dict[str, Any]:
        shutil.rmtree(root / label / "d1", ignore_errors=True)
        return run_child("build", str(notes), str(root / label / "d1"), "1", "full")

    results["full_serial"] = best_of(runs, serial_build)
    return results


def report(full: dict[str, Any], quarter: dict[str, Any]) -> str:
    parse = full["parse_floor"]["seconds"]
    genanki = full["genanki_floor"]["seconds"]
    per_topic = full["genanki_per_topic"]["seconds"]
    build = full["full"]["seconds"]
    lines = [
        f"vault: {full['files']} files, {full['questions']} questions "
        f"({full['full']['cards']} cards), {full['bytes'] / 1e6:.1f} MB of Markdown; "
        f"{os.cpu_count()} cores; each time the best of {full['full']['runs']} runs",
        "",
        "| run | seconds | vs target | peak RSS (MiB, main / workers) |",
        "| --- | ---: | --- | ---: |",
        f"| floor: markdown-it-py parse alone | {parse:.2f} | | "
        f"{full['parse_floor']['peak_mib']:.0f} |",
        f"| floor: genanki writing them alone, one package | {genanki:.2f} | | "
        f"{full['genanki_floor']['peak_mib']:.0f} |",
        f"| floor: genanki writing them alone, one package per file | {per_topic:.2f} | | "
        f"{full['genanki_per_topic']['peak_mib']:.0f} |",
        f"| full build, all cores | {build:.2f} | {build / (parse + genanki):.2f}× floors "
        f"(≤ 1.3); {build / (parse + per_topic):.2f}× with genanki's per-file floor; "
        f"{build / parse:.2f}× parse floor (< 1) | "
        f"{full['full']['peak_mib']:.0f} / {full['full']['workers_peak_mib']:.0f} |",
        f"| full build, one core | {full['full_serial']['seconds']:.2f} | "
        f"{full['full_serial']['seconds'] / (parse + genanki):.2f}× floors | "
        f"{full['full_serial']['peak_mib']:.0f} |",
        f"| no-op rebuild | {full['noop']['seconds']:.2f} | "
        f"{full['noop']['seconds'] / build:.1%} of full (≤ 5%) | {full['noop']['peak_mib']:.0f} |",
        f"| one-file edit | {full['one_edit']['seconds']:.2f} | "
        f"{full['one_edit']['seconds'] / build:.1%} of full (≤ 10%); "
        f"{full['one_edit']['rebuilt']} topic rebuilt | {full['one_edit']['peak_mib']:.0f} |",
    ]
    base = full["idle"]["peak_mib"]  # the interpreter with ankigen imported
    grow_full = full["full_serial"]["peak_mib"] - base
    grow_quarter = quarter["full_serial"]["peak_mib"] - base
    lines += [
        "",
        f"memory (one-core build, above an idle interpreter of {base:.0f} MiB): "
        f"{grow_quarter:.0f} MiB at 1/4 size, {grow_full:.0f} MiB at full size "
        f"(ratio {grow_full / max(grow_quarter, 1):.1f}; linear is 4.0)",
    ]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--questions", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3, help="best of this many runs each")
    parser.add_argument(
        "--light",
        action="store_true",
        help="~320 bytes of Markdown per question, about half the seeds' (earlier figures)",
    )
    parser.add_argument("--profile", action="store_true", help="print a cProfile of a build")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--keep", type=Path, help="build in this directory and keep it")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="ankigen-bench-"))
    try:
        if args.profile:
            notes = make_vault(root / "profile", args.files, args.questions, dense=not args.light)
            subprocess.run(
                [sys.executable, __file__, "--child", "profile", str(notes), str(root / "p")],
                check=True,
            )
            return
        dense = not args.light
        full = measure(root, args.files, args.questions, "full", args.runs, dense)
        quarter = measure(
            root, max(1, args.files // 4), args.questions // 4, "quarter", args.runs, dense
        )
        print(report(full, quarter))
        if args.json:
            args.json.write_text(json.dumps({"full": full, "quarter": quarter}, indent=2) + "\n")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
