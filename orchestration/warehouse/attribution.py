"""Exact solves of the data-driven attribution models (docs/attribution.md, docs/architecture.md#6-portability).

Pure Python + numpy: no Dagster, no dbt, no database. The pipeline calls these from the
dbt Python model ``int_attribution__channel_weights_solved`` on the *aggregates* that dbt
builds in SQL (transition counts, channel-set counts) — never on raw journeys. Inputs are
therefore tiny: at most (channels + 3)^2 transitions and at most 2^channels channel sets.

Markov (first-order absorbing chain)
------------------------------------
States: ``start``, one state per channel, and the absorbing ``conversion`` and ``null``.
Transition probabilities are the observed transition counts normalised per from-state.
With Q the transient-to-transient block (start + channels) and r the transient-to-
conversion column, the absorption probabilities x = P(reach conversion | state) solve
``(I - Q) x = r`` (x = N r with the fundamental matrix N = (I - Q)^-1); P(conversion) is
x[start]. Removing channel c sends every transition *into* c to ``null`` (the column of c
in Q is zeroed; what is lost goes to null). ``RE(c) = 1 - P_without_c / P``. Because
removal only redirects probability mass away from paths that visit c, 0 <= RE(c) <= 1.

Fallbacks: when P(conversion) = 0 (no converting path) every removal effect is 0. Shares
are ``RE(c) / sum(RE)``; when every removal effect is 0 (no conversions) the shares fall
back to equal shares 1 / n_channels, so the published shares of a model always sum to 1
(the mart then splits each conversion among its path's channels equally per channel).

Shapley ("simplified Shapley", Zhao et al. 2018, "Shapley Value Methods for Attribution
Modeling in Online Advertising")
-------------------------------------------------------------------------------------
Players are the channels seen on any path in the window. The characteristic function of a
coalition S is ``v(S) = total conversions of the paths whose channel set is a subset of
S`` (a path "could have happened" with only the channels in S). v(empty set) = 0. The
Shapley value

    phi_i = sum over S subset of N \\ {i} of |S|! (n - |S| - 1)! / n! * (v(S u {i}) - v(S))

is computed exactly over all 2^n coalitions (v for every coalition by a subset-sum /
zeta transform over bitmasks), so it is limited to MAX_SHAPLEY_CHANNELS = 15 channels
(2^15 coalitions); more raises ``TooManyChannelsError``. Efficiency: the values add up to
v(N) = all conversions. (For this v the values equal sum over sets T containing i of
conversions(T) / |T| — a channel set's conversions are shared equally by its channels;
the tests use that and brute force over orderings as independent checks.) Shares are
``phi / sum(phi)``, with the same equal-shares fallback when every value is 0.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

START, CONVERSION, NULL = "start", "conversion", "null"
SPECIAL_STATES = frozenset({START, CONVERSION, NULL})
MAX_SHAPLEY_CHANNELS = 15


class TooManyChannelsError(ValueError):
    """Exact Shapley over all subsets is limited to MAX_SHAPLEY_CHANNELS channels."""


# --------------------------------------------------------------------------- Markov
def _channels_of(transitions: Sequence[tuple[str, str, float]]) -> list[str]:
    channels = set()
    for from_state, to_state, _ in transitions:
        for state in (from_state, to_state):
            if state not in SPECIAL_STATES:
                channels.add(state)
    return sorted(channels)


def _validate_transitions(transitions: Sequence[tuple[str, str, float]]) -> None:
    for from_state, to_state, count in transitions:
        if from_state in (CONVERSION, NULL):
            raise ValueError(f"transition out of absorbing state {from_state!r} -> {to_state!r}")
        if to_state == START:
            raise ValueError(f"transition into 'start' from {from_state!r}")
        if count is None or not math.isfinite(float(count)) or float(count) < 0:
            raise ValueError(
                f"transition count must be a finite number >= 0: {from_state!r} -> {to_state!r}: {count!r}"
            )


def _conversion_probability(q: np.ndarray, r: np.ndarray) -> float:
    """x = (I - Q)^-1 r, return x[0] (state 0 is 'start')."""
    n = q.shape[0]
    try:
        x = np.linalg.solve(np.eye(n) - q, r)
    except np.linalg.LinAlgError as err:  # a closed loop of channels that never absorbs
        raise ValueError(
            "transition matrix is not absorbing: some channel states never reach 'conversion' or 'null'"
        ) from err
    return float(x[0])


def markov_conversion_probability(transitions: Sequence[tuple[str, str, float]], removed: str | None = None) -> float:
    """P(start reaches conversion) of the chain, optionally with channel ``removed`` removed."""
    _validate_transitions(transitions)
    channels = _channels_of(transitions)
    index = {START: 0, **{c: i + 1 for i, c in enumerate(channels)}}
    n = len(index)
    counts = np.zeros((n, n))
    to_conversion = np.zeros(n)
    out_total = np.zeros(n)
    for from_state, to_state, count in transitions:
        i = index[from_state]
        out_total[i] += float(count)
        if to_state == CONVERSION:
            to_conversion[i] += float(count)
        elif to_state != NULL:
            counts[i, index[to_state]] += float(count)
    # states with no outgoing transitions (should not happen for real paths) absorb in null
    denominator = np.where(out_total > 0, out_total, 1.0)
    q = counts / denominator[:, None]
    r = to_conversion / denominator
    if removed is not None:
        if removed not in index or removed == START:
            raise KeyError(f"unknown channel {removed!r}")
        q = q.copy()
        q[:, index[removed]] = 0.0  # every transition into the channel goes to null
    return _conversion_probability(q, r)


def markov_removal_effects(transitions: Iterable[tuple[str, str, float]]) -> dict[str, float]:
    """Removal effect RE(c) = 1 - P(conversion without c) / P(conversion) for every channel.

    ``transitions``: (from_state, to_state, count) with states 'start', channel names,
    'conversion', 'null' (repeated pairs are added up). All zero when P(conversion) = 0.
    """
    transitions = list(transitions)
    channels = _channels_of(transitions)
    if not channels:
        return {}
    base = markov_conversion_probability(transitions)
    if base <= 0.0:
        return dict.fromkeys(channels, 0.0)
    effects = {}
    for channel in channels:
        without = markov_conversion_probability(transitions, removed=channel)
        # clip rounding noise: removal can only lower the probability
        effects[channel] = min(1.0, max(0.0, 1.0 - without / base))
    return effects


# --------------------------------------------------------------------------- Shapley
def shapley_values(channel_set_conversions: Mapping[frozenset[str], float]) -> dict[str, float]:
    """Exact Shapley values of v(S) = conversions of paths whose channel set is a subset of S.

    ``channel_set_conversions``: channel set -> conversions of the paths with exactly that
    set of channels (non-converting sets with 0 make their channels players with value 0).
    Raises TooManyChannelsError above MAX_SHAPLEY_CHANNELS channels.
    """
    sets: Counter[frozenset[str]] = Counter()
    for channel_set, conversions in channel_set_conversions.items():
        channel_set = frozenset(channel_set)
        conversions = float(conversions)
        if not math.isfinite(conversions) or conversions < 0:
            raise ValueError(f"conversions must be a finite number >= 0: {sorted(channel_set)}: {conversions!r}")
        if not channel_set:
            if conversions > 0:
                raise ValueError("a path with conversions has an empty channel set")
            continue
        sets[channel_set] += conversions
    players = sorted(set().union(*sets)) if sets else []
    n = len(players)
    if n > MAX_SHAPLEY_CHANNELS:
        raise TooManyChannelsError(
            f"exact Shapley is limited to {MAX_SHAPLEY_CHANNELS} channels (2^{MAX_SHAPLEY_CHANNELS} "
            f"coalitions); got {n}: {players}"
        )
    if n == 0:
        return {}
    bit = {c: 1 << i for i, c in enumerate(players)}
    size = 1 << n
    # v[mask] = conversions of the sets exactly equal to mask, then the subset-sum (zeta)
    # transform turns it into v[mask] = sum over subsets T of mask of conversions(T)
    v = np.zeros(size)
    for channel_set, conversions in sets.items():
        v[sum(bit[c] for c in channel_set)] += conversions
    for i in range(n):
        view = v.reshape(-1, 2, 1 << i)  # axis 1 = bit i of the mask
        view[:, 1, :] += view[:, 0, :]
    masks = np.arange(size)
    popcount = np.zeros(size, dtype=np.int64)
    for i in range(n):
        popcount += (masks >> i) & 1
    # weight of a coalition S (not containing i) of size s: s! (n - s - 1)! / n!
    weights_by_size = np.array([math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)])
    values = {}
    for i, channel in enumerate(players):
        without = masks[(masks >> i) & 1 == 0]
        marginal = v[without | (1 << i)] - v[without]
        values[channel] = float(np.dot(weights_by_size[popcount[without]], marginal))
    return values


# --------------------------------------------------------------------------- shares
def shares(values: Mapping[str, float]) -> dict[str, float]:
    """value / sum(values); equal shares 1/n when every value is 0 (see module docstring)."""
    if not values:
        return {}
    total = float(sum(values.values()))
    if total <= 0.0:
        return {c: 1.0 / len(values) for c in values}
    return {c: float(v) / total for c, v in values.items()}


# --------------------------------------------------------------------------- test helpers
def collapse_repeats(channels: Sequence[str]) -> list[str]:
    """Consecutive repeats of one channel collapse into one touch (A A B A -> A B A)."""
    out: list[str] = []
    for channel in channels:
        if not out or out[-1] != channel:
            out.append(channel)
    return out


def transitions_from_paths(paths: Iterable[tuple[Sequence[str], bool]]) -> list[tuple[str, str, int]]:
    """Transition counts of journeys (channels in time order, converted?).

    Used ONLY by tests and the benchmark to cross-check the SQL aggregates; the pipeline
    aggregates in SQL (docs/architecture.md#6-portability: never pull raw journeys into Python).
    """
    counts: Counter[tuple[str, str]] = Counter()
    for channels, converted in paths:
        states = collapse_repeats(list(channels))
        if not states:
            continue
        sequence = [START, *states, CONVERSION if converted else NULL]
        for a, b in zip(sequence, sequence[1:]):
            counts[(a, b)] += 1
    return sorted((a, b, n) for (a, b), n in counts.items())


def channel_sets_from_paths(paths: Iterable[tuple[Sequence[str], bool]]) -> dict[frozenset[str], float]:
    """Conversions per distinct channel set of journeys (tests / benchmark only)."""
    out: Counter[frozenset[str]] = Counter()
    for channels, converted in paths:
        if channels:
            out[frozenset(channels)] += 1.0 if converted else 0.0
    return dict(out)


def parse_channel_set(channel_set: str, delimiter: str = "|") -> frozenset[str]:
    """'Direct|Email' (the dbt aggregate's canonical string) -> frozenset."""
    return frozenset(part for part in channel_set.split(delimiter) if part)


# Columns of int_attribution__channel_weights_solved, in order (name, pyarrow type name).
WEIGHTS_COLUMNS = (
    ("model", "string"),
    ("channel", "string"),
    ("removal_effect", "double"),
    ("shapley_value", "double"),
    ("share", "double"),
    ("window_start", "date"),
    ("window_end", "date"),
)


def channel_weights_rows(transitions: Sequence[Mapping], channel_sets: Sequence[Mapping]) -> list[dict]:
    """The rows of int_attribution__channel_weights_solved from the two small SQL aggregates
    (rows as mappings: ``from_state, to_state, transitions, window_start, window_end`` and
    ``channel_set, conversions, window_start, window_end``): the Markov removal effects and
    the Shapley values with their shares, one row per model × channel. Engine-neutral: the
    dbt Python model (DuckDB) and the Spark path (orchestration/warehouse/spark.py) call it."""
    window = (None, None)
    for row in [*transitions, *channel_sets]:
        window = (row["window_start"], row["window_end"])
        break

    records: list[dict] = []
    effects = markov_removal_effects([(r["from_state"], r["to_state"], float(r["transitions"])) for r in transitions])
    for channel, share in sorted(shares(effects).items()):
        records.append(
            {
                "model": "markov",
                "channel": channel,
                "removal_effect": effects[channel],
                "shapley_value": None,
                "share": share,
            }
        )

    conversions: dict[frozenset[str], float] = {}
    for r in channel_sets:
        key = parse_channel_set(r["channel_set"])
        conversions[key] = conversions.get(key, 0.0) + float(r["conversions"])
    values = shapley_values(conversions)
    for channel, share in sorted(shares(values).items()):
        records.append(
            {
                "model": "shapley",
                "channel": channel,
                "removal_effect": None,
                "shapley_value": values[channel],
                "share": share,
            }
        )

    for record in records:
        record["window_start"], record["window_end"] = window
    return records
