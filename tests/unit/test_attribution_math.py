"""The exact data-driven attribution solves (orchestration.warehouse.attribution) against independent
implementations written here: Markov by exact rational Gaussian elimination
(fractions.Fraction) on a chain whose removed channel's in-transitions are explicitly
re-routed to 'null'; Shapley by brute force over all orderings of the channels."""

from __future__ import annotations

import itertools
import math
import random
from collections import defaultdict
from fractions import Fraction

import pytest

from orchestration.warehouse.attribution import (
    MAX_SHAPLEY_CHANNELS,
    TooManyChannelsError,
    channel_sets_from_paths,
    collapse_repeats,
    markov_conversion_probability,
    markov_removal_effects,
    parse_channel_set,
    shapley_values,
    shares,
    transitions_from_paths,
)

TEXTBOOK = [(["C1", "C2"], True), (["C1"], False), (["C2", "C3"], False), (["C3"], True)]


# --------------------------------------------------------------------------- independent Markov
def exact_conversion_probability(transitions, removed=None) -> Fraction:
    """P(start -> conversion) with Fractions: x_s = sum_t p(s,t) x_t, x_conv = 1, x_null = 0."""
    counts: dict[str, dict[str, Fraction]] = defaultdict(lambda: defaultdict(Fraction))
    for a, b, n in transitions:
        if removed is not None and b == removed:
            b = "null"  # removing a channel: every transition into it goes to null
        counts[a][b] += Fraction(n)
    if removed is not None:
        counts.pop(removed, None)  # unreachable now
    states = sorted({s for s in counts} | {b for row in counts.values() for b in row} - {"conversion", "null"})  # noqa: C416
    index = {s: i for i, s in enumerate(states)}
    n = len(states)
    # rows: x_s - sum_t p(s,t) x_t = p(s, conversion)
    matrix = [[Fraction(0)] * (n + 1) for _ in range(n)]
    for s in states:
        i = index[s]
        matrix[i][i] += 1
        row = counts.get(s, {})
        total = sum(row.values())
        for b, c in row.items():
            p = c / total
            if b == "conversion":
                matrix[i][n] += p
            elif b != "null":
                matrix[i][index[b]] -= p
    # Gauss-Jordan elimination, exact
    for col in range(n):
        pivot = next(r for r in range(col, n) if matrix[r][col] != 0)
        matrix[col], matrix[pivot] = matrix[pivot], matrix[col]
        pv = matrix[col][col]
        matrix[col] = [v / pv for v in matrix[col]]
        for r in range(n):
            if r != col and matrix[r][col] != 0:
                f = matrix[r][col]
                matrix[r] = [a - f * b for a, b in zip(matrix[r], matrix[col])]
    return matrix[index["start"]][n] if "start" in index else Fraction(0)


def exact_removal_effects(transitions) -> dict[str, Fraction]:
    channels = {s for a, b, _ in transitions for s in (a, b)} - {"start", "conversion", "null"}
    base = exact_conversion_probability(transitions)
    if base == 0:
        return {c: Fraction(0) for c in channels}
    return {c: 1 - exact_conversion_probability(transitions, removed=c) / base for c in channels}


def assert_markov_matches(paths):
    transitions = transitions_from_paths(paths)
    actual = markov_removal_effects(transitions)
    expected = exact_removal_effects(transitions)
    assert set(actual) == set(expected)
    for channel, value in expected.items():
        assert actual[channel] == pytest.approx(float(value), abs=1e-9), channel
    return actual


# --------------------------------------------------------------------------- independent Shapley
def brute_force_shapley(channel_set_conversions) -> dict[str, float]:
    players = sorted(set().union(*channel_set_conversions))

    def v(coalition: frozenset) -> float:
        return sum(c for s, c in channel_set_conversions.items() if s <= coalition)

    totals = dict.fromkeys(players, 0.0)
    orderings = list(itertools.permutations(players))
    for ordering in orderings:
        coalition: frozenset = frozenset()
        for player in ordering:
            totals[player] += v(coalition | {player}) - v(coalition)
            coalition = coalition | {player}
    return {p: t / len(orderings) for p, t in totals.items()}


def random_paths(rng: random.Random, channels: list[str], n: int):
    paths = []
    for _ in range(n):
        length = rng.randint(1, 5)
        paths.append(([rng.choice(channels) for _ in range(length)], rng.random() < 0.4))
    return paths


# --------------------------------------------------------------------------- Markov
def test_textbook_example_hand_computed():
    # start -> C1 1/2, C2 1/4, C3 1/4; C1 -> C2 1/2, null 1/2; C2 -> C3 1/2, conv 1/2;
    # C3 -> conv 1/2, null 1/2. x3 = 1/2, x2 = 1/2 + 1/4 = 3/4, x1 = 3/8,
    # P = 1/2 * 3/8 + 1/4 * 3/4 + 1/4 * 1/2 = 1/2.
    # without C1: 1/4 * 3/4 + 1/4 * 1/2 = 5/16 -> RE 3/8
    # without C2: 1/4 * 1/2 = 1/8 -> RE 3/4
    # without C3: x2 = 1/2, x1 = 1/4: 1/8 + 1/8 = 1/4 -> RE 1/2
    transitions = transitions_from_paths(TEXTBOOK)
    assert markov_conversion_probability(transitions) == pytest.approx(0.5, abs=1e-12)
    effects = assert_markov_matches(TEXTBOOK)
    assert effects == pytest.approx({"C1": 3 / 8, "C2": 3 / 4, "C3": 1 / 2}, abs=1e-12)
    assert shares(effects) == pytest.approx({"C1": 3 / 13, "C2": 6 / 13, "C3": 4 / 13}, abs=1e-12)


def test_transitions_from_paths_collapses_repeats():
    assert collapse_repeats(["A", "A", "B", "A", "A"]) == ["A", "B", "A"]
    t = transitions_from_paths([(["A", "A", "B"], True), (["A"], False)])
    assert t == [("A", "B", 1), ("A", "null", 1), ("B", "conversion", 1), ("start", "A", 2)]


def test_markov_with_loops_matches_exact():
    paths = [
        (["A", "B", "A", "C"], True),
        (["B", "A"], False),
        (["C", "B", "C"], True),
        (["A", "C", "A"], False),
        (["B"], True),
        (["C", "A", "B", "A", "B"], False),
    ]
    assert_markov_matches(paths)


@pytest.mark.parametrize("seed", range(8))
def test_markov_random_chains_match_exact(seed):
    rng = random.Random(seed)
    channels = [f"C{i}" for i in range(rng.randint(2, 6))]
    assert_markov_matches(random_paths(rng, channels, rng.randint(5, 40)))


def test_markov_single_channel():
    paths = [(["A"], True), (["A", "A"], False), (["A"], False)]
    effects = assert_markov_matches(paths)
    assert effects == {"A": pytest.approx(1.0)}  # without A nothing converts
    assert shares(effects) == {"A": 1.0}


def test_markov_channel_only_on_non_converting_paths():
    paths = [(["A", "B"], True), (["B"], True), (["C"], False), (["C", "C"], False)]
    effects = assert_markov_matches(paths)
    assert effects["C"] == 0.0
    assert shares(effects)["C"] == 0.0
    assert sum(shares(effects).values()) == pytest.approx(1.0)


def test_markov_no_conversions_falls_back_to_equal_shares():
    paths = [(["A", "B"], False), (["B"], False)]
    effects = markov_removal_effects(transitions_from_paths(paths))
    assert effects == {"A": 0.0, "B": 0.0}
    assert shares(effects) == {"A": 0.5, "B": 0.5}
    assert markov_removal_effects([]) == {} and shares({}) == {}


def test_markov_rejects_bad_input():
    with pytest.raises(ValueError, match="absorbing"):
        markov_removal_effects([("conversion", "A", 1)])
    with pytest.raises(ValueError, match="count"):
        markov_removal_effects([("start", "A", -1)])
    # a closed loop that never absorbs
    with pytest.raises(ValueError, match="not absorbing"):
        markov_removal_effects([("start", "A", 1), ("A", "B", 1), ("B", "A", 1)])


# --------------------------------------------------------------------------- Shapley
@pytest.mark.parametrize("n_channels", [3, 4, 5])
@pytest.mark.parametrize("seed", range(3))
def test_shapley_matches_brute_force_over_orderings(n_channels, seed):
    rng = random.Random(100 * n_channels + seed)
    channels = [f"C{i}" for i in range(n_channels)]
    sets = channel_sets_from_paths(random_paths(rng, channels, 30))
    actual = shapley_values(sets)
    expected = brute_force_shapley(sets)
    assert actual == pytest.approx(expected, abs=1e-9)
    # efficiency: the values add up to v(all channels) = all conversions
    assert sum(actual.values()) == pytest.approx(sum(sets.values()), abs=1e-9)


def test_shapley_textbook_example():
    sets = channel_sets_from_paths(TEXTBOOK)
    # {C1,C2}: 1 conversion shared by C1, C2; {C3}: 1 to C3; the others none
    assert shapley_values(sets) == pytest.approx({"C1": 0.5, "C2": 0.5, "C3": 1.0}, abs=1e-12)
    assert shares(shapley_values(sets)) == pytest.approx({"C1": 0.25, "C2": 0.25, "C3": 0.5})


def test_shapley_edge_cases():
    assert shapley_values({frozenset({"A"}): 3.0}) == {"A": 3.0}
    values = shapley_values({frozenset({"A", "B"}): 2.0, frozenset({"C"}): 0.0})
    assert values == pytest.approx({"A": 1.0, "B": 1.0, "C": 0.0})  # C: only non-converting
    nothing = shapley_values({frozenset({"A"}): 0.0, frozenset({"A", "B"}): 0.0})
    assert nothing == {"A": 0.0, "B": 0.0} and shares(nothing) == {"A": 0.5, "B": 0.5}
    assert shapley_values({}) == {}
    with pytest.raises(ValueError):
        shapley_values({frozenset(): 1.0})
    assert parse_channel_set("Direct|Email|Paid Search") == frozenset({"Direct", "Email", "Paid Search"})


def test_shapley_15_channels_ok_16_fails():
    channels = [f"C{i:02d}" for i in range(MAX_SHAPLEY_CHANNELS)]
    sets = {frozenset({c}): float(i + 1) for i, c in enumerate(channels)}
    sets[frozenset(channels[:3])] = 6.0
    values = shapley_values(sets)
    assert values["C05"] == pytest.approx(6.0)
    assert values["C00"] == pytest.approx(1.0 + 2.0)  # own 1 + 6 / 3
    assert math.isclose(sum(values.values()), sum(sets.values()))
    sets[frozenset({"C99"})] = 1.0
    with pytest.raises(TooManyChannelsError, match="limited to 15 channels"):
        shapley_values(sets)


# --------------------------------------------------------------------------- benchmark smoke test
def test_benchmark_smoke(tmp_path):
    """10k journeys: report shape, shares sum to 1, SQL aggregates equal the Python helpers.
    (No timing assertions: timings depend on the machine.)"""
    import json

    from orchestration.bench.attribution import run_benchmark

    out = tmp_path / "bench.json"
    report = run_benchmark(journeys=10_000, channels=9, seed=3, out=out, cross_check=True)
    assert json.loads(out.read_text()) == json.loads(json.dumps(report))
    assert report["cross_check"] == "ok"
    assert report["rows"]["journeys"] == 10_000
    assert report["rows"]["touches"] >= 10_000 and report["rows"]["channel_set_rows"] <= 2**9
    assert set(report["seconds"]) == {
        "generate_journeys_sql",
        "aggregate_transitions_sql",
        "aggregate_channel_sets_sql",
        "solve_markov_python",
        "solve_shapley_python",
        "total",
    }
    assert report["peak_rss_mb"] > 0
    for model in ("markov", "shapley"):
        weights = report["weights"][model]
        assert len(weights) == 9
        assert sum(w["share"] for w in weights.values()) == pytest.approx(1.0, abs=1e-9)
    shapley_total = sum(w["shapley_value"] for w in report["weights"]["shapley"].values())
    assert shapley_total == pytest.approx(report["rows"]["conversions_in_window"])
    md = tmp_path / "bench.md"
    run_benchmark(journeys=1_000, channels=4, seed=3, out=md)
    assert md.read_text().startswith("# Data-driven attribution benchmark")
