"""`adwh benchmark` writes a report; its data-driven shares sum to 1 (no timing asserted)."""

from __future__ import annotations

from orchestration.cli import main


def test_benchmark_command_writes_report(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ADWH_DATA_DIR", str(tmp_path))
    out = tmp_path / "bench.md"
    assert main(["benchmark", "--journeys", "5000", "--channels", "5", "--out", str(out)]) == 0
    text = out.read_text()
    assert "5,000 journeys, 5 channels" in text and "Peak RSS" in text
    shares: dict[str, float] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 4 and cells[0] in ("markov", "shapley"):
            shares[cells[0]] = shares.get(cells[0], 0.0) + float(cells[3])
    assert set(shares) == {"markov", "shapley"}
    for model, total in shares.items():
        assert abs(total - 1.0) < 1e-5, (model, total)
    assert "report written to" in capsys.readouterr().out
