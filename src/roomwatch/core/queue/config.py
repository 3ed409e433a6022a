"""The queue's settings (the TOML ``[queue]`` table) and its error."""

from __future__ import annotations

from dataclasses import dataclass, field

from roomwatch.core.errors import ConfigError, RoomwatchError

__all__ = ["QueueConfig", "QueueError"]


class QueueError(RoomwatchError):
    """The queue was used wrongly, e.g. fed a comment from another room."""


@dataclass(frozen=True, slots=True)
class QueueConfig:
    """Folding, ranking and lifecycle settings (the TOML ``[queue]`` table).

    Times are in seconds of record time.
    """

    #: A question folds only into an item last asked within this many seconds.
    window_s: float = 600.0
    #: Most items held per room, open and closed together.
    max_items: int = 5000
    #: After an item is answered or dismissed, the same question joins it for
    #: this long (``asked_again``); after that a new item opens.
    grace_s: float = 120.0
    #: Open, unclaimed, unpinned items with no ask for this long are removed.
    idle_expire_s: float = 600.0
    #: Half-life of an ask's weight in the score.
    half_life_s: float = 120.0
    #: Length of the ranked list whose order changes send ``reordered``.
    top_n: int = 20
    #: Least Jaccard similarity of topic words for two questions to fold.
    fold_threshold: float = 0.5
    #: A question does not join an item if its topic is less similar than
    #: this to any wording the item already holds: "甜不甜" may gather
    #: "橙子甜不甜", but "月饼甜不甜" then starts its own item (0 turns it off).
    fold_conflict: float = 0.34
    #: Most candidate items compared per question.
    max_candidates: int = 24
    #: Distinct wordings counted per item (the top 4 are shown).
    max_wordings: int = 16
    #: Asker keys held exactly per item; further askers are estimated.
    #: Each key is kept as received (a user id string), so this bounds an
    #: item's memory: at 256 the hour-long soak's 7,000 items held a million
    #: keys at minute 45 and gained ~13,000 a minute (the RSS climb after
    #: warm-up, docs/reliability.md "Soak"). Past it, the bitmap's estimate
    #: is within about 1% (linear counting over 8,192 bits).
    max_askers: int = 32
    #: Size of the per-item bitmap that estimates askers past ``max_askers``.
    asker_bitmap_bits: int = 8192
    #: Exponent on the question probability in an ask's weight.
    weight_confidence: float = 1.0
    #: Paid boost: weight × (1 + weight_paid × ln(1 + amount)); ¥30 → ×2.7.
    weight_paid: float = 0.5
    #: Level boost: weight × (1 + weight_level × min(level, level_cap) / level_cap).
    weight_level: float = 0.5
    #: Level at which the level boost is full.
    level_cap: int = 50
    #: Questions with a lower probability are ignored.
    min_confidence: float = 0.0
    #: Least seconds between two ``updated`` events for one item. An item's
    #: asks in one batch always go out as one event; this holds the next
    #: batch's update back, so an item asked more often than this sends at
    #: most one update per interval. In ``serve`` every held ask waits up to
    #: this long; a ``worker`` ticks its shards every 0.1 s, so there a held
    #: ask can wait up to 0.1 s more.
    update_interval_s: float = 0.02
    #: Least seconds between two ``reordered`` events caused by asks.
    reorder_interval_s: float = 0.25
    #: Least recently asked open items looked at to pick one to evict.
    eviction_sample: int = 32
    #: Longest wording kept, in characters.
    max_text_chars: int = 200
    #: The room's product names (normalised spelling): a question naming one
    #: gets a ``product`` slot, so questions about two products never fold.
    #: Set per room from ``[rooms."<room>"] products``, not a ``[queue]`` key.
    products: tuple[str, ...] = field(default=(), metadata={"internal": True})

    def __post_init__(self) -> None:
        # The schema (roomwatch.config) checks every bound when the file
        # loads. What stays here is what the queue's code needs of a config
        # built in code: the decay divides by half_life_s, an asker is hashed
        # modulo asker_bitmap_bits, and making room for an item needs one.
        for name, least in (("half_life_s", 0.0), ("asker_bitmap_bits", 0), ("max_items", 0)):
            value = getattr(self, name)
            if not value > least:
                raise ConfigError(f"queue.{name} must be above {least:g}, not {value!r}")
