"""`up` prepares its work directory without touching what it did not write there."""

from __future__ import annotations

from pathlib import Path

from sms_metrics.commands.up import prepare
from sms_metrics.config import Settings

CATALOGUE = Path(__file__).resolve().parents[1] / "fixtures" / "catalogues" / "good-minimal.yaml"


def test_a_second_up_replaces_its_own_files_and_keeps_the_others(tmp_path):
    settings = Settings(work_dir=tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "prometheus" / "tsdb").mkdir(parents=True)
    (tmp_path / "prometheus" / "tsdb" / "old-block").write_text("stale")
    (tmp_path / "register.db").write_text("old register")
    prep = prepare(settings, CATALOGUE, "2026-10", recordings=False)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert not (tmp_path / "register.db").exists()
    assert list((tmp_path / "prometheus").iterdir()) == []
    assert prep.rule_files and all(Path(f).parent == tmp_path / "rules" for f in prep.rule_files)
    assert not prep.demo and prep.period == "2026-10"
